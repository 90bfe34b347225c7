"""What a branch does to every recipe: the review a pull request needs.

For each recipe, the config before is its golden file at the merge base with the base
branch (or, where that file did not exist, the recipe built from the code there, in a
temporary worktree); the config after is the recipe built now. A change that shows up in
several recipes (one shared default) is said once. Two slips are called out:

* a recipe that changed while its golden file did not (``cfgdiff golden update`` not run);
* a golden file that changed without matching the recipe (edited by hand, or stale).

:func:`format_markdown` writes a pull-request comment whose first line is the hidden
marker :data:`MARKER`, so a bot can find and update its own comment.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from cfgdiff import git
from cfgdiff.canonical import FlatConfig, ParseError, loads
from cfgdiff.golden import (
    FieldChange,
    GOLDEN_SUFFIX,
    field_changes,
    golden_path,
    name_list,
    require_project,
    shared_changes,
    update_command,
    without_paths,
)
from cfgdiff.registry import RecipeError, Registry, discover
from cfgdiff.revisions import flats_at_revision

MARKER = "<!-- cfgdiff-review -->"
GITHUB_COMMENT_LIMIT = 65_536


@dataclasses.dataclass
class RecipeReview:
    """One recipe across the branch.

    ``status``: unchanged | changed | added | removed | error. ``old_source`` says where
    the config before came from: "golden" (the file at the merge base) or "built".
    ``callouts`` are the slips found (see the module docstring), one line each.
    """

    name: str
    status: str
    old: FlatConfig | None = None
    new: FlatConfig | None = None
    old_source: str = "golden"
    callouts: list[str] = dataclasses.field(default_factory=list)
    error: str | None = None
    golden_left_behind: bool = False  # the recipe changed, its golden file did not
    golden_dir: str = "golden_configs"  # as shown, relative to the project


@dataclasses.dataclass
class Review:
    """The review of HEAD (and the working tree) against ``merge_base``."""

    base: str
    merge_base: str
    recipes: list[RecipeReview]
    errors: list[str]
    shared: dict[FieldChange, list[str]]

    def by_status(self, status: str) -> list[RecipeReview]:
        """The recipes with this status."""
        return [r for r in self.recipes if r.status == status]

    @property
    def callouts(self) -> list[str]:
        """Every slip found, over all recipes; golden files left behind by several recipes said once."""
        behind = [r for r in self.recipes if r.golden_left_behind]
        out = [c for r in self.recipes for c in r.callouts]
        if len(behind) == 1:
            shown = f"{behind[0].golden_dir}/{behind[0].name}{GOLDEN_SUFFIX}"
            out.insert(0, f"recipe {behind[0].name} changed but its golden file {shown} did not: run '{update_command([behind[0].name])}'")
        elif behind:
            names = [r.name for r in behind]
            out.insert(0, f"{len(names)} recipes changed but their golden files did not ({name_list(names)}): run '{update_command(names)}'")
        return out

    def tally(self) -> str:
        """``2 recipes changed, 1 added, 47 unchanged``."""
        counts = {s: len(self.by_status(s)) for s in ("changed", "added", "removed", "error", "unchanged")}
        parts = [f"{n} {s}" for s, n in counts.items() if n]
        if not parts:
            return "no recipes"
        first = parts[0].split(" ", 1)
        parts[0] = f"{first[0]} recipe{'s' if first[0] != '1' else ''} {first[1]}"
        return ", ".join(parts)


def review(base: str | None = None, start: str = ".") -> Review:
    """Review the current branch (working tree) against its merge base with ``base``.

    ``base`` defaults to the upstream branch, else ``main``.
    """
    registry = discover(start)
    require_project(registry)
    root = registry.root
    toplevel = Path(git.output(root, "rev-parse", "--show-toplevel", what=f"{root} is not in a git repository")).resolve()
    base = base or _upstream(root) or "main"
    merge_base = git.output(root, "merge-base", base, "HEAD", what=f"no merge base with {base!r} (is it a branch or revision here? use --base REV)")
    golden_rel = registry.golden_dir.resolve().relative_to(toplevel).as_posix()
    before = _golden_files_at(root, merge_base, golden_rel)

    names = sorted(set(registry) | set(before))
    reviews: dict[str, RecipeReview] = {}
    needs_build: list[str] = []
    for name in names:
        item = RecipeReview(name, "unchanged")
        reviews[name] = item
        if name in before:
            try:
                item.old = loads(before[name], f"{merge_base[:8]}:{golden_rel}/{name}{GOLDEN_SUFFIX}")
            except ParseError as e:
                item.status, item.error = "error", str(e)
                continue
        elif name in registry:
            needs_build.append(name)
        if name in registry:
            try:
                item.new = registry[name].flat()
            except RecipeError as e:
                item.status, item.error = "error", str(e)
    if needs_build:
        _build_at_base(reviews, needs_build, merge_base, start)

    for item in reviews.values():
        if item.status != "error":
            item.status = _status(item, registry)
        if item.name in registry and item.new is not None:
            item.callouts = _callouts(item, registry)
    changed = [r for r in reviews.values() if r.status == "changed"]
    shared = shared_changes({r.name: (r.old, r.new) for r in changed})  # type: ignore[misc]
    return Review(base, merge_base, list(reviews.values()), [str(e) for e in registry.errors], shared)


def _build_at_base(reviews: dict[str, RecipeReview], names: list[str], merge_base: str, start: str) -> None:
    """No golden file at the merge base: build those recipes from the code there."""
    try:
        built = flats_at_revision(merge_base, names, start)
    except RecipeError as e:  # e.g. the code there predates the recipe registry
        built = {name: RecipeError(str(e)) for name in names}
    for name, flat in built.items():
        item = reviews[name]
        item.old_source = "built"
        if isinstance(flat, RecipeError):
            item.callouts.append(f"recipe {name}: no golden file at the merge base, and it could not be built there ({flat})")
        else:
            item.old = flat


def _status(item: RecipeReview, registry: Registry) -> str:
    if item.name not in registry:
        return "error" if registry.errors else "removed"
    if item.old is None:
        return "added"
    return "unchanged" if item.old == item.new else "changed"


def _callouts(item: RecipeReview, registry: Registry) -> list[str]:
    """The slips between a recipe and its golden file now (see the module docstring)."""
    out = [c for c in item.callouts]
    path = golden_path(registry, item.name)
    shown = _relative(path, registry.root)
    fix = f"run '{update_command([item.name])}'"
    if not path.is_file():
        out.append(f"recipe {item.name} has no golden file {shown}: {fix}")
        return out
    try:
        golden_now = loads(path.read_text(encoding="utf-8"), shown)
    except ParseError as e:
        out.append(f"{e}: {fix}")
        return out
    if golden_now == item.new:
        return out
    golden_touched = item.old_source != "golden" or golden_now != item.old
    if not golden_touched:  # said in Review.callouts, once for all such recipes
        item.golden_left_behind = True
        item.golden_dir = _relative(registry.golden_dir, registry.root)
    elif item.old is not None and item.new == item.old:
        out.append(f"golden file {shown} changed without the recipe {item.name} changing: {fix} (or revert the file)")
    else:
        out.append(f"golden file {shown} changed but does not match recipe {item.name}: {fix}")
    return out


def _upstream(root: Path) -> str | None:
    proc = git.run(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _golden_files_at(root: Path, rev: str, golden_rel: str) -> dict[str, str]:
    """``{recipe: text}`` of the golden files at ``rev``, read in one ``git cat-file`` call."""
    listing = git.output(root, "ls-tree", "-z", "--name-only", rev, f"{golden_rel}/")
    files = [f for f in listing.split("\0") if f.endswith(GOLDEN_SUFFIX) and "/" not in f[len(golden_rel) + 1 :]]
    if not files:
        return {}
    request = "".join(f"{rev}:{f}\n" for f in files).encode()
    proc = git.run(root, "cat-file", "--batch", text=False, input=request)
    out, data = {}, proc.stdout
    for file in files:
        header_end = data.index(b"\n")
        size = int(data[:header_end].split()[2])
        body = data[header_end + 1 : header_end + 1 + size]
        data = data[header_end + 1 + size + 1 :]
        out[Path(file).name[: -len(GOLDEN_SUFFIX)]] = body.decode("utf-8")
    return out


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


# -- output -------------------------------------------------------------------------------


def _split(item: RecipeReview, shared: dict[FieldChange, list[str]]) -> tuple[int, int, Any]:
    """(how many of the recipe's field changes are shared ones, how many in all, its diff without them)."""
    from cfgdiff.diff import diff

    assert item.old is not None and item.new is not None
    changes = field_changes(item.old, item.new)
    mine = {c.path for c in changes if c in shared}  # said once, at the top
    if mine and len(mine) == len(changes):
        return len(mine), len(changes), None
    rest = diff(without_paths(item.old, mine), without_paths(item.new, mine)) if mine else diff(item.old, item.new)
    return len(mine), len(changes), rest


def _headline(item: RecipeReview) -> str:
    from cfgdiff.diff import diff

    if item.status == "changed":
        assert item.old is not None and item.new is not None
        return diff(item.old, item.new).summary()
    if item.status == "added":
        return f"new recipe ({len(item.new or ())} fields)"
    if item.status == "removed":
        return "recipe removed"
    return f"error: {item.error}"


def format_text(result: Review, color: bool = False) -> str:
    """The review for a terminal."""
    lines = [f"cfgdiff review: against {result.base} (merge base {result.merge_base[:10]}): {result.tally()}"]
    if result.shared:
        lines.append("Changes shared by several recipes (said once):")
        lines.extend(f"  {change} in {len(names)} recipes: {name_list(names)}" for change, names in result.shared.items())
    only_shared = []
    for item in result.recipes:
        if item.status == "unchanged":
            continue
        if item.status != "changed":
            lines.append(f"recipe {item.name}: {_headline(item)}")
            continue
        _, _, rest = _split(item, result.shared)
        if rest is None:
            only_shared.append(item.name)
            continue
        from cfgdiff.render import render_text

        lines.append(f"recipe {item.name}: {_headline(item)}")
        # The body of the diff; its tally line is the headline's business.
        lines.extend("  " + line for line in render_text(rest, color=color).rstrip("\n").splitlines()[:-1])
    if only_shared:
        lines.append(f"{len(only_shared)} recipes changed only by the shared changes above: {name_list(only_shared)}")
    lines.extend(f"error: {e}" for e in result.errors)
    if result.callouts:
        lines.append("Needs attention:")
        lines.extend(f"  ! {c}" for c in result.callouts)
    return "\n".join(lines) + "\n"


def format_markdown(result: Review) -> str:
    """The review as a pull-request comment (GitHub markdown), first line :data:`MARKER`."""
    head = [MARKER, "## cfgdiff: config changes", ""]
    head.append(f"**{result.tally()}** against `{result.base}` (merge base `{result.merge_base[:10]}`).")
    head.append("")
    if result.callouts or result.errors:
        head.append("> [!WARNING]")
        head.extend(f"> - {_code_spans(c)}" for c in [*result.callouts, *result.errors])
        head.append("")
    if result.shared:
        head += ["### Changes shared by several recipes", "", "| field | before | after | recipes |", "|---|---|---|---|"]
        for change, names in result.shared.items():
            head.append(
                f"| `{change.path}` | {_cell(change.old)} | {_cell(change.new)} | {len(names)}: {_escape(name_list(names))} |"
            )
        head.append("")
    sections, only_shared = [], []
    for item in result.recipes:
        if item.status == "unchanged":
            continue
        body = ""
        if item.status == "changed":
            from cfgdiff.render import render_markdown

            in_shared, _, rest = _split(item, result.shared)
            if rest is None:
                only_shared.append(item.name)
                continue
            body = render_markdown(rest)
            if in_shared:  # its own tally line would count only what is left: say what it is instead
                body = "Besides the shared changes above:\n" + body.split("\n", 1)[1]
        summary = f"<code>{_escape(item.name)}</code>: {_escape(_headline(item))}"
        sections.append(f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>\n" if body else f"- {summary}\n")
    if only_shared:
        head.append(f"{len(only_shared)} recipes changed only by the shared changes above: {_escape(name_list(only_shared))}.\n")
    if not sections and not result.shared:
        sections.append("No recipe's config changes.\n")
    return _fit("\n".join(head) + "\n", sections)


def _fit(head: str, sections: list[str]) -> str:
    """Keep the comment under GitHub's size limit, dropping whole recipe sections from the end."""
    out, budget = head, GITHUB_COMMENT_LIMIT - len(head) - 200
    for i, section in enumerate(sections):
        if len(section) > budget:
            out += f"\n… {len(sections) - i} more recipes not shown (comment size limit); run `cfgdiff review` locally.\n"
            break
        out += section
        budget -= len(section)
    return out


def format_json(result: Review) -> str:
    """The review as JSON: base, merge_base, tally, recipes (with their diffs), shared changes, callouts."""
    recipes = []
    for item in result.recipes:
        entry: dict[str, Any] = {"name": item.name, "status": item.status, "before": item.old_source}
        if item.status == "changed":
            from cfgdiff.diff import diff
            from cfgdiff.render import render_json

            entry["summary"] = _headline(item)
            entry["diff"] = json.loads(render_json(diff(item.old, item.new)))
        if item.error:
            entry["error"] = item.error
        if item.callouts:
            entry["callouts"] = item.callouts
        if item.golden_left_behind:
            entry["golden_left_behind"] = True
        recipes.append(entry)
    shared = [
        {"path": c.path, "old": c.old, "new": c.new, "recipes": names} for c, names in result.shared.items()
    ]
    document = {
        "base": result.base,
        "merge_base": result.merge_base,
        "tally": result.tally(),
        "recipes": recipes,
        "shared": shared,
        "callouts": result.callouts,
        "errors": result.errors,
    }
    return json.dumps(document, indent=2) + "\n"


def _cell(value: str | None) -> str:
    if value is None:
        return "*(absent)*"
    return "`" + value.replace("|", "\\|").replace("`", "'") + "`"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _code_spans(text: str) -> str:
    """Quoted commands and names in a callout, shown as code."""
    return _escape(text).replace("'", "`")
