"""Golden files: every recipe's canonical text, checked in, so no change to a recipe goes unseen.

``golden_configs/<recipe>.txt`` holds the canonical text of one recipe under a one-line
header saying how to regenerate it. :func:`check` builds each recipe and compares it
with its file; :func:`update` rewrites the files that differ, atomically (a crash
mid-write leaves the old file, never a truncated one). Both return a :class:`Report`,
which :func:`format_report` writes for people: one field diff per recipe, and a change
that shows up in several recipes (one shared default) said once, with the recipe names.

Comparison starts with the text: a golden file byte-equal to the freshly written text is
not parsed at all, which keeps a clean check of many large recipes at the cost of building
them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path

from cfgdiff import paths
from cfgdiff.canonical import FlatConfig, ParseError, format_value, loads, parse_value, values_equal, write_text_atomic
from cfgdiff.canonical import Text
from cfgdiff.diff import Diff, diff
from cfgdiff.registry import RecipeError, Registry

GOLDEN_SUFFIX = ".txt"

#: Statuses an entry of a report can have; the first group means "all is well".
FINE = {"same", "written", "created", "repaired", "reformatted", "unchanged", "removed"}


def header(name: str) -> str:
    """The comment line on top of a golden file."""
    return f"cfgdiff golden config for recipe {name}: regenerate with {update_command([name])!r}"


def update_command(names: Iterable[str] = (), prune: bool = False) -> str:
    """The command that rewrites these recipes' golden files: ``cfgdiff golden update a b``."""
    return " ".join(["cfgdiff", "golden", "update", *(["--prune"] if prune else []), *names])


def golden_path(registry: Registry, name: str) -> Path:
    """Where the golden file of recipe ``name`` lives."""
    return registry.golden_dir / f"{name}{GOLDEN_SUFFIX}"


@dataclasses.dataclass
class Entry:
    """What check/update found for one recipe or golden file.

    ``status``: same | changed | missing | stale | error (check); written | created |
    repaired | reformatted | unchanged | removed | stale | error (update). ``text`` is the
    recipe's golden text now, ``old_text`` the golden file's where it was read, and
    ``diff`` their field diff where they differ.
    """

    name: str
    status: str
    path: Path
    text: str | None = dataclasses.field(default=None, repr=False)
    old_text: str | None = dataclasses.field(default=None, repr=False)
    diff: Diff | None = None
    error: str | None = None

    @property
    def fields(self) -> int:
        """How many fields the recipe has now."""
        return sum(1 for line in (self.text or "").splitlines() if line and line[0] != "#")


@dataclasses.dataclass
class Report:
    """The outcome of a golden check or update, one entry per recipe or stale file."""

    entries: list[Entry]
    registry: Registry
    action: str  # "check" | "update"
    everything: bool = True  # all recipes, not some named ones: import failures and stale files count

    @property
    def import_errors(self) -> list[str]:
        """Recipe modules that failed to import, when they matter to this report."""
        return [str(e) for e in self.registry.errors] if self.everything else []

    def by_status(self, status: str) -> list[Entry]:
        """The entries with this status, in name order."""
        return [e for e in self.entries if e.status == status]

    @property
    def exit_code(self) -> int:
        """0 all is well, 1 golden files are off (check), 2 something could not be checked."""
        if self.import_errors or self.by_status("error"):
            return 2
        if self.action == "check" and any(e.status not in FINE for e in self.entries):
            return 1
        return 0


def check(registry: Registry, names: Iterable[str] = ()) -> Report:
    """Build recipes (all, or ``names``) and compare each with its golden file.

    Stale golden files (no recipe of that name) are reported only when checking all
    recipes, and not when a recipe module failed to import (its recipes look gone).
    """
    names = tuple(names)
    entries = []
    for name in _select(registry, names):
        entry = _compare(registry, name)
        if entry.status == "unreadable":
            entry.status = "error"
        elif entry.status == "reformatted":  # only comments or layout differ: the fields still match
            entry.status = "same"
        entries.append(entry)
    if not names:
        entries.extend(stale_files(registry))
    return Report(entries, registry, "check", everything=not names)


def update(registry: Registry, names: Iterable[str] = (), prune: bool = False) -> Report:
    """Rewrite golden files that differ from their recipes; with ``prune``, remove stale ones."""
    names = tuple(names)
    entries = []
    for name in _select(registry, names):
        entry = _compare(registry, name)
        if entry.status in _WRITTEN_AS:
            # An unreadable golden file is exactly what update is for: it is replaced.
            entry.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(entry.path, entry.text or "")
            entry.status = _WRITTEN_AS[entry.status]
        elif entry.status == "same":
            entry.status = "unchanged"
        entries.append(entry)
    if not names:
        for entry in stale_files(registry):
            if prune:
                entry.path.unlink()
                entry.status = "removed"
            entries.append(entry)
    return Report(entries, registry, "update", everything=not names)


_WRITTEN_AS = {"changed": "written", "missing": "created", "reformatted": "reformatted", "unreadable": "repaired"}


def _select(registry: Registry, names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(names))
    for name in names:
        if name not in registry:
            registry[name]  # raises UnknownRecipeError, with a suggestion
    return names or list(registry)


def _compare(registry: Registry, name: str) -> Entry:
    """Build one recipe and compare it with its golden file.

    Status: same | changed | reformatted (fields equal, text not) | missing | unreadable | error.
    """
    path = golden_path(registry, name)
    try:
        text = registry[name].dumps(header=header(name))
    except RecipeError as e:
        return Entry(name, "error", path, error=str(e))
    try:
        with open(path, encoding="utf-8") as f:
            golden_text = f.read()
    except FileNotFoundError:
        return Entry(name, "missing", path, text=text)
    if golden_text == text:  # the common case, decided without parsing anything
        return Entry(name, "same", path, text=text)
    try:
        _check_readable(golden_text, text, _display(path))
        found = diff(Text(golden_text, _display(path)), Text(text, f"recipe {name}"))
    except ParseError as e:
        return Entry(name, "unreadable", path, text=text, error=str(e))
    return Entry(name, "changed" if found else "reformatted", path, text, golden_text, found)


def _check_readable(golden_text: str, text: str, source: str) -> None:
    """Raise ParseError (``FILE:LINE: ...``) if the golden text is malformed.

    Only lines that differ from the freshly written (well-formed) text can be malformed,
    so the exact reader runs only when one of those looks wrong: no ``: ``, or a path
    given twice.
    """
    differing, _ = _differing_lines(golden_text, text)
    paths_seen = {line.split(": ", 1)[0] for line in differing}
    if len(paths_seen) != len(differing) or any(": " not in line for line in differing):
        loads(golden_text, source)


def stale_files(registry: Registry) -> list[Entry]:
    """Golden files whose recipe is gone; none while a recipe module fails to import."""
    if registry.errors or not registry.golden_dir.is_dir():
        return []
    return [
        Entry(file.name[: -len(GOLDEN_SUFFIX)], "stale", file)
        for file in sorted(registry.golden_dir.glob(f"*{GOLDEN_SUFFIX}"))
        if file.name[: -len(GOLDEN_SUFFIX)] not in registry
    ]


# -- changes shared by several recipes --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FieldChange:
    """One field's change, by text: ``old``/``new`` are None when the field was added/removed."""

    path: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        if self.old is None:
            return f"+ {self.path}: {self.new}"
        if self.new is None:
            return f"- {self.path}: {self.old}"
        return f"~ {self.path}: {self.old} -> {self.new}"


def field_changes(old: FlatConfig | str, new: FlatConfig | str) -> list[FieldChange]:
    """Every field that differs between two configs (FlatConfigs or canonical text), in path order.

    Only the lines that differ are looked at; two spellings of one value (``'a'``, ``"a"``)
    are no change.
    """
    gone_lines, came_lines = _differing_lines(old, new)
    gone = dict(line.split(": ", 1) if ": " in line else (line, "") for line in gone_lines)
    came = dict(line.split(": ", 1) if ": " in line else (line, "") for line in came_lines)
    out = []
    for path in sorted(gone.keys() | came.keys(), key=paths.sort_key):
        before, after = gone.get(path), came.get(path)
        if before is not None and after is not None and values_equal(parse_value(before), parse_value(after)):
            continue
        out.append(FieldChange(path, before, after))
    return out


def _differing_lines(old: FlatConfig | str, new: FlatConfig | str) -> tuple[set[str], set[str]]:
    """(lines only in old, lines only in new), comments and blank lines left out."""
    old_lines, new_lines = _lines(old), _lines(new)
    return _content(old_lines - new_lines), _content(new_lines - old_lines)


def _content(lines: set[str]) -> set[str]:
    return {line for line in lines if line and line[0] != "#"}


def _lines(config: FlatConfig | str) -> set[str]:
    if isinstance(config, str):
        return set(config.splitlines())  # a set built in C; comments are dropped from the difference
    return {f"{path}: {format_value(value)}" for path, value in config.items()}


def shared_changes(pairs: dict[str, tuple[FlatConfig | str, FlatConfig | str]], min_recipes: int = 2) -> dict[FieldChange, list[str]]:
    """Field changes that appear identically in at least ``min_recipes`` recipes, with their names.

    ``pairs`` maps recipe name to (old, new). One changed default shows up here once.
    """
    return _group({name: field_changes(old, new) for name, (old, new) in pairs.items()}, min_recipes)


def _group(changes: dict[str, list[FieldChange]], min_recipes: int = 2) -> dict[FieldChange, list[str]]:
    seen: dict[FieldChange, list[str]] = {}
    for name, found in changes.items():
        for change in found:
            seen.setdefault(change, []).append(name)
    return {change: names for change, names in seen.items() if len(names) >= min_recipes}


def without_paths(config: FlatConfig | str, drop: set[str]) -> FlatConfig | Text:
    """``config`` without the fields in ``drop`` (to show what is left of a diff)."""
    if isinstance(config, str):
        kept = [line for line in config.splitlines() if line.split(": ", 1)[0] not in drop]
        return Text("\n".join(kept) + "\n")
    out = FlatConfig((path, value) for path, value in config.items() if path not in drop)
    out.source = config.source
    return out


def name_list(names: list[str], limit: int = 10) -> str:
    """``a, b, c`` or ``a, b, ... (40 more)``: recipe names for a one-line message."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])}, ... ({len(names) - limit} more)"


# -- the report, for people --------------------------------------------------------------


def format_report(report: Report, color: bool = False, tally: bool = True) -> str:
    """The text a person reads after ``cfgdiff golden check`` or ``update``.

    ``tally=False`` leaves out the closing count and accept-all command (for one recipe's test).
    """
    lines: list[str] = []
    changed = [e for e in report.entries if e.diff is not None and e.status in ("changed", "written")]
    changes = {e.name: field_changes(e.old_text or "", e.text or "") for e in changed}
    shared = _group(changes)
    if shared:
        lines.append("Changes shared by several recipes (said once):")
        lines.extend(f"  {change} in {len(names)} recipes: {name_list(names)}" for change, names in shared.items())
        lines.append("")
    verb = "differs from" if report.action == "check" else "updated"
    only_shared = []
    for e in changed:
        assert e.diff is not None
        mine = {c.path for c in changes[e.name] if c in shared}  # this recipe's changes said above
        if mine and len(mine) == len(changes[e.name]):
            only_shared.append(e.name)
            continue
        lines.append(f"recipe {e.name} {verb} {_display(e.path)}: {e.diff.summary()}")
        if report.action == "check":
            from cfgdiff.render import render_text

            rest = diff(without_paths(e.old_text or "", mine), without_paths(e.text or "", mine)) if mine else e.diff
            body = render_text(rest, color=color).rstrip("\n").splitlines()[:-1]  # its tally: said above
            lines.append(_indent("\n".join(body)))
            lines.append(f"  to accept: {update_command([e.name])}")
    if only_shared:
        what = "differ" if report.action == "check" else "were updated"
        lines.append(f"{len(only_shared)} recipes {what} only by the shared changes above: {name_list(only_shared)}")
    for e in report.entries:
        if e.status == "created":
            lines.append(f"created {_display(e.path)} ({e.fields:,} fields)")
        elif e.status == "repaired":
            lines.append(f"rewrote {_display(e.path)}, which could not be read ({e.error})")
        elif e.status == "reformatted":
            lines.append(f"rewrote {_display(e.path)}: same fields, header or layout refreshed")
        elif e.status == "missing":
            lines.append(f"missing golden file {_display(e.path)} for recipe {e.name}: create it with {update_command([e.name])!r}")
        elif e.status == "stale" and report.action == "check":
            lines.append(f"stale golden file {_display(e.path)}: no recipe {e.name!r}; remove it with {update_command(prune=True)!r}")
        elif e.status == "stale":
            lines.append(f"stale golden file {_display(e.path)}: no recipe {e.name!r}; kept (pass --prune to remove it)")
        elif e.status == "removed":
            lines.append(f"removed {_display(e.path)}: no recipe {e.name!r}")
        elif e.status == "error":
            lines.append(f"error: {e.error}")
    lines.extend(f"error: {error}" for error in report.import_errors)
    if report.import_errors:
        lines.append("(stale golden files not looked for: a recipe module failed to import)")
    if not tally:
        return "\n".join(lines) + "\n"
    lines.append(_tally(report))
    if report.action == "check" and report.exit_code == 1:
        off = [e.name for e in report.entries if e.status in ("changed", "missing")]
        stale = bool(report.by_status("stale"))
        lines.append(f"To accept these configs: {update_command(off if len(off) <= 5 and not stale else (), prune=stale)}")
    return "\n".join(lines) + "\n"


def _tally(report: Report) -> str:
    counts: dict[str, int] = {}
    for e in report.entries:
        counts[e.status] = counts.get(e.status, 0) + 1
    if report.import_errors:
        counts["error"] = counts.get("error", 0) + len(report.import_errors)
    order = ["changed", "written", "created", "repaired", "reformatted", "missing", "stale", "removed", "error", "same", "unchanged"]
    words = {"same": "match", "changed": "differ", "written": "updated"}
    parts = [f"{counts[s]} {words.get(s, s)}" for s in order if counts.get(s)]
    return f"golden {report.action}: {', '.join(parts) or 'no recipes'}"


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.rstrip("\n").splitlines())


def _display(path: Path) -> str:
    relative = os.path.relpath(path)
    return os.fspath(path) if relative.startswith("..") else relative


def require_project(registry: Registry) -> None:
    """Golden files belong to a project: raise RecipeError when no pyproject names one."""
    if registry.pyproject is None:
        raise RecipeError(
            f"no pyproject.toml with a [tool.cfgdiff] table in {registry.root} or above; "
            'add one: [tool.cfgdiff] recipes = ["myproject.recipes"]'
        )
