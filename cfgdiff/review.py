"""What a branch does to every recipe: the review a pull request needs.

For each recipe, the config before is its golden file at the merge base with the base
branch (or, where that file did not exist, the recipe built from the code there, in a
temporary worktree); the config after is the recipe built now. A change that shows up in
several recipes (one shared default) is said once. Two slips are called out:

* a recipe that changed while its golden file did not (``cfgdiff golden update`` not run);
* a golden file that changed without matching the recipe (edited by hand, or stale).

:func:`changeset` puts the review in the change model that :mod:`cfgdiff.render` writes;
the pull-request comment's first line is the hidden marker :data:`MARKER`, so a bot can
find and update its own comment.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from cfgdiff import git
from cfgdiff.canonical import FlatConfig, ParseError, loads
from cfgdiff.changes import ChangeSet, Problem, RecipeChange, name_list, share
from cfgdiff.diff import Diff, diff
from cfgdiff.golden import GOLDEN_SUFFIX, golden_path, require_project, update_command
from cfgdiff.registry import RecipeError, Registry, discover
from cfgdiff.revisions import flats_at_revision

MARKER = "<!-- cfgdiff-review -->"


@dataclasses.dataclass
class RecipeReview:
    """One recipe across the branch.

    ``status``: unchanged | changed | added | removed | error. ``old_source`` says where
    the config before came from: "golden" (the file at the merge base) or "built".
    ``diff`` is the one comparison of ``old`` and ``new``; ``problems`` the slips found.
    """

    name: str
    status: str
    old: FlatConfig | None = None
    new: FlatConfig | None = None
    old_source: str = "golden"
    diff: Diff | None = None
    problems: list[Problem] = dataclasses.field(default_factory=list)
    error: str | None = None
    golden_left_behind: bool = False  # the recipe changed, its golden file did not
    golden_updated: bool = False  # the golden file changed with the recipe, as it should
    golden_dir: str = "golden_configs"  # as shown, relative to the project


@dataclasses.dataclass
class Review:
    """The review of HEAD (and the working tree) against ``merge_base``."""

    base: str
    merge_base: str
    recipes: list[RecipeReview]
    errors: list[str]
    head: str = ""
    blob_url: str | None = None  # files at ``head`` on GitHub/GitLab: origins link there
    dirty: bool = False  # the working tree has changes not committed (the recipes are built from it)

    def by_status(self, status: str) -> list[RecipeReview]:
        """The recipes with this status."""
        return [r for r in self.recipes if r.status == status]

    @property
    def problems(self) -> list[Problem]:
        """Every slip found, over all recipes; golden files left behind by several recipes said once."""
        out = []
        behind = [r.name for r in self.recipes if r.golden_left_behind]
        if behind:
            folder = next(r.golden_dir for r in self.recipes if r.golden_left_behind)
            what = (
                f"recipe {behind[0]} changed but its golden file {folder}/{behind[0]}{GOLDEN_SUFFIX} did not"
                if len(behind) == 1
                else f"{len(behind)} recipes changed but their golden files did not ({name_list(behind)})"
            )
            out.append(Problem("error", what, update_command(behind)))
        out += [p for r in self.recipes for p in r.problems]
        out += [Problem("error", f"recipe {r.name}: {r.error}") for r in self.recipes if r.status == "error" and r.error]
        out += [Problem("error", e) for e in self.errors]
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
    head = git.output(root, "rev-parse", "HEAD")
    dirty = bool(git.output(root, "status", "--porcelain", "--untracked-files=no"))
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
                item.new = registry[name].flat(registry.root)
            except RecipeError as e:
                item.status, item.error = "error", str(e)
    if needs_build:
        _build_at_base(reviews, needs_build, merge_base, start)

    for item in reviews.values():
        if item.old is not None and item.new is not None:
            item.diff = diff(item.old, item.new, impact=True)
        if item.status != "error":
            item.status = _status(item, registry)
        if item.name in registry and item.new is not None:
            item.problems += _slips(item, registry)
    project = registry.root.resolve().relative_to(toplevel).as_posix()
    blob = _blob_url(root, head, "" if project == "." else project + "/")
    return Review(base, merge_base, list(reviews.values()), [str(e) for e in registry.errors], head, blob, dirty)


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
            item.problems.append(Problem("warning", f"recipe {name}: no golden file at the merge base, and it could not be built there ({flat})"))
        else:
            item.old = flat


def _status(item: RecipeReview, registry: Registry) -> str:
    if item.name not in registry:
        return "error" if registry.errors else "removed"
    if item.old is None:
        return "added"
    return "changed" if item.diff else "unchanged"


def _slips(item: RecipeReview, registry: Registry) -> list[Problem]:
    """The slips between a recipe and its golden file now (see the module docstring)."""
    path = golden_path(registry, item.name)
    shown = _relative(path, registry.root)
    fix = update_command([item.name])
    if not path.is_file():
        return [Problem("error", f"recipe {item.name} has no golden file {shown}", fix)]
    try:
        golden_now = loads(path.read_text(encoding="utf-8"), shown)
    except ParseError as e:
        return [Problem("error", str(e), fix)]
    if not diff(golden_now, item.new):
        # Matching a recipe that changed, the golden file moved with it (it differs from the old config).
        item.golden_updated = item.status == "changed"
        return []
    golden_touched = item.old_source != "golden" or bool(diff(item.old, golden_now))
    if not golden_touched:  # said in Review.problems, once for all such recipes
        item.golden_left_behind = True
        item.golden_dir = _relative(registry.golden_dir, registry.root)
        return []
    if item.status == "unchanged":
        return [Problem("warning", f"golden file {shown} changed without the recipe {item.name} changing (or revert the file)", fix)]
    return [Problem("warning", f"golden file {shown} changed but does not match recipe {item.name}", fix)]


_REMOTE = re.compile(r"(?:https?://(?:[^@/]+@)?|ssh://(?:[^@/]+@)?|[^@/]+@)([^/:]+)[:/](.+?)(?:\.git)?/?\Z")


def _blob_url(root: Path, commit: str, project: str) -> str | None:
    """``https://github.com/OWNER/REPO/blob/COMMIT/PROJECT/`` (GitHub, or GitLab's ``-/blob``),
    so an origin's ``file#Lline`` links to the line at the commit; None for other remotes."""
    proc = git.run(root, "remote", "get-url", "origin")
    match = _REMOTE.match(proc.stdout.strip()) if proc.returncode == 0 else None
    if not match:
        return None
    host, repository = match.groups()
    if host == "github.com":
        return f"https://{host}/{repository}/blob/{commit}/{project}"
    if "gitlab" in host:
        return f"https://{host}/{repository}/-/blob/{commit}/{project}"
    return None


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


# -- output -------------------------------------------------------------------------------


def changeset(result: Review) -> ChangeSet:
    """The review in the one change model every writer shows (:mod:`cfgdiff.changes`)."""
    recipes = []
    for item in result.recipes:
        if item.status == "changed":
            remark = "golden file updated" if item.golden_updated else "golden file not updated" if item.golden_left_behind else ""
            recipes.append(RecipeChange(item.name, "changed", f"recipe {item.name} changed", remark, diff=item.diff))
        elif item.status == "added":
            recipes.append(RecipeChange(item.name, "added", f"recipe {item.name}: new recipe ({len(item.new or ()):,} fields)"))
        elif item.status == "removed":
            recipes.append(RecipeChange(item.name, "removed", f"recipe {item.name}: removed"))
    title = f"cfgdiff review: against {result.base} (merge base {result.merge_base[:10]})"
    if result.dirty:
        title += ", with uncommitted changes"
    context = {"base": result.base, "merge_base": result.merge_base, "head": result.head}
    if result.dirty:
        context["worktree"] = "uncommitted changes"
    if result.blob_url:
        context["blob_url"] = result.blob_url
    changes = ChangeSet(title, recipes, problems=result.problems, tally=result.tally(), context=context, verb="changed")
    changes.shared = share(recipes)
    return changes


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
