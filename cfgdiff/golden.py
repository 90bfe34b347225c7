"""Golden files: every recipe's canonical text, checked in, so no change to a recipe goes unseen.

``golden_configs/<recipe>.txt`` holds the canonical text of one recipe under a one-line
header saying how to regenerate it. :func:`check` builds each recipe and compares it
with its file; :func:`update` rewrites the files that differ, atomically (a crash
mid-write leaves the old file, never a truncated one). Both return a :class:`Report`;
:func:`changeset` turns it into the change model that :mod:`cfgdiff.render` writes: one
field diff per recipe, and a change that shows up in several recipes (one shared default)
said once, with the recipe names.

Comparison starts with the text: a golden file byte-equal to the freshly written text is
not parsed at all, which keeps a clean check of many large recipes at the cost of building
them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

from cfgdiff import settings
from cfgdiff.canonical import ParseError, Text, write_text_atomic
from cfgdiff.changes import ChangeSet, Problem, RecipeChange, share
from cfgdiff.diff import Diff, diff
from cfgdiff.registry import RecipeError, Registry

GOLDEN_SUFFIX = ".txt"

#: Statuses an entry of a report can have; the first group means "all is well".
FINE = {"same", "written", "created", "repaired", "reformatted", "unchanged", "removed", "cleaned"}


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

    ``status``: same | changed | missing | stale | leftover | error (check); written |
    created | repaired | reformatted | unchanged | removed | stale | cleaned | error
    (update). ``leftover`` and ``cleaned`` are temporary files an interrupted update left. ``text`` is the
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
        entries.extend(leftover_files(registry))
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
        for entry in leftover_files(registry):
            entry.path.unlink(missing_ok=True)
            entry.status = "cleaned"
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
    recipe = registry[name]
    try:
        tree = recipe.build()
        text = recipe.dumps(header(name), tree)
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
        # Where the new values were set is worth its cost only for a recipe that moved.
        new = Text(text, f"recipe {name}", recipe.origins(tree, registry.root))
        found = diff(Text(golden_text, settings.display(path)), new, impact=True)
    except ParseError as e:
        return Entry(name, "unreadable", path, text=text, error=str(e))
    return Entry(name, "changed" if found else "reformatted", path, text, golden_text, found)


def stale_files(registry: Registry) -> list[Entry]:
    """Golden files whose recipe is gone; none while a recipe module fails to import."""
    if registry.errors or not registry.golden_dir.is_dir():
        return []
    return [
        Entry(file.name[: -len(GOLDEN_SUFFIX)], "stale", file)
        for file in sorted(registry.golden_dir.glob(f"*{GOLDEN_SUFFIX}"))
        if file.name[: -len(GOLDEN_SUFFIX)] not in registry
    ]


# write_text_atomic's temporary file: .NAME.txt.XXXXXXXX.tmp (mkstemp's random part).
_TEMPORARY = re.compile(rf"\.(.+){re.escape(GOLDEN_SUFFIX)}\.[A-Za-z0-9_]{{8}}\.tmp\Z")


def leftover_files(registry: Registry) -> list[Entry]:
    """Temporary files an interrupted ``golden update`` left in the golden folder."""
    if not registry.golden_dir.is_dir():
        return []
    found = ((_TEMPORARY.match(file.name), file) for file in sorted(registry.golden_dir.glob(f".*{GOLDEN_SUFFIX}.*.tmp")))
    return [Entry(match.group(1), "leftover", file) for match, file in found if match]


# -- the report as a change set ---------------------------------------------------------


def changeset(report: Report, closing: bool = True) -> ChangeSet:
    """The report in the one change model every writer shows (:mod:`cfgdiff.changes`).

    With ``closing=False`` the tally and the accept-all command are left out (one recipe's
    test in the pytest plugin).
    """
    check = report.action == "check"
    recipes, problems = [], []
    for e in report.entries:
        shown = settings.display(e.path)
        if e.status in ("changed", "written"):
            note = f"recipe {e.name} differs from {shown}" if check else f"recipe {e.name} updated {shown}"
            recipes.append(RecipeChange(e.name, e.status, note, diff=e.diff, fix=update_command([e.name]) if check else None))
        elif e.status == "created":
            recipes.append(RecipeChange(e.name, e.status, f"created {shown} ({e.fields:,} fields)"))
        elif e.status == "repaired":
            recipes.append(RecipeChange(e.name, e.status, f"rewrote {shown}, which could not be read ({e.error})"))
        elif e.status == "reformatted":
            recipes.append(RecipeChange(e.name, e.status, f"rewrote {shown}: same fields, header or layout refreshed"))
        elif e.status == "removed":
            recipes.append(RecipeChange(e.name, e.status, f"removed {shown}: no recipe {e.name!r}"))
        elif e.status == "missing":
            problems.append(Problem("error", f"missing golden file {shown} for recipe {e.name}", update_command([e.name])))
        elif e.status == "stale" and check:
            problems.append(Problem("error", f"stale golden file {shown}: no recipe {e.name!r}", update_command(prune=True)))
        elif e.status == "stale":
            problems.append(Problem("warning", f"stale golden file {shown}: no recipe {e.name!r}; kept (pass --prune to remove it)"))
        elif e.status == "leftover":
            problems.append(Problem("error", f"leftover temporary file {shown} from an interrupted golden update", update_command()))
        elif e.status == "error":
            problems.append(Problem("error", e.error or f"recipe {e.name} could not be checked"))
    problems.extend(Problem("error", error) for error in report.import_errors)
    if report.import_errors:
        problems.append(Problem("warning", "stale golden files not looked for: a recipe module failed to import"))
    result = ChangeSet("", recipes, problems=problems, details=check, verb="differ" if check else "were updated")
    result.shared = share(recipes)
    if closing:
        result.tally = _tally(report)
        if check and report.exit_code == 1:
            off = [e.name for e in report.entries if e.status in ("changed", "missing")]
            stale = bool(report.by_status("stale"))
            result.fix = update_command(off if len(off) <= 5 and not stale else (), prune=stale)
    return result



def _tally(report: Report) -> str:
    counts: dict[str, int] = {}
    for e in report.entries:
        counts[e.status] = counts.get(e.status, 0) + 1
    if report.import_errors:
        counts["error"] = counts.get("error", 0) + len(report.import_errors)
    order = ["changed", "written", "created", "repaired", "reformatted", "missing", "stale", "removed", "leftover", "cleaned",
             "error", "same", "unchanged"]
    words = {"same": "match", "changed": "differ", "written": "updated", "leftover": "leftover temporary",
             "cleaned": "leftover temporary removed"}
    parts = [f"{counts[s]} {words.get(s, s)}" for s in order if counts.get(s)]
    return f"golden {report.action}: {', '.join(parts) or 'no recipes'}"


def require_project(registry: Registry) -> None:
    """Golden files belong to a project: raise RecipeError when no pyproject names one."""
    if registry.pyproject is None:
        raise RecipeError(
            f"no pyproject.toml with a [tool.cfgdiff] table in {registry.root} or above; "
            'add one: [tool.cfgdiff] recipes = ["myproject.recipes"]'
        )
