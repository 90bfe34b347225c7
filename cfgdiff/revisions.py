"""Recipes built from the code at a git revision: ``cfgdiff REV:RECIPE``, ``cfgdiff review``
and ``cfgdiff explain REV:RECIPE PATH``.

The code at the revision is checked out into a temporary worktree (:func:`checkout`) and
run there in a separate Python process, so the code being reviewed never mixes with the
code running the review; the worktree is removed afterwards whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from cfgdiff import git, settings
from cfgdiff.canonical import FlatConfig, loads
from cfgdiff.provenance import Origin
from cfgdiff.registry import RecipeError

# Runs in the worktree with the code at that revision; prints {name: {"text"|"error": ...}},
# with "origins" ({path: Origin fields}, files relative to the worktree's project root)
# when the code there records provenance.
# A module found outside the worktree (an installed or editable copy filling a gap in an
# old revision) is not the code at that revision: such a recipe counts as absent there.
_AT_REVISION = """\
import json, os, sys
worktree = os.path.realpath(sys.argv[1])
try:
    try:
        from cfgdiff.registry import discover
    except ImportError:  # code from before the registry had a module of its own
        from cfgdiff.recipes import discover
    registry = discover(".")
except Exception as e:
    print(f"{type(e).__name__}: {' '.join(str(e).split())}", file=sys.stderr)
    sys.exit(2)
out = {}
for name in sys.argv[2:]:
    recipe = registry.get(name)
    module_file = getattr(sys.modules.get(recipe.module if recipe else ""), "__file__", None) or ""
    if recipe is None or not os.path.realpath(module_file).startswith(worktree + os.sep):
        out[name] = {"error": registry.unknown(name)} if registry.errors else {"absent": True}
        continue
    try:
        if hasattr(recipe, "text"):
            text = recipe.text(root=registry.root)
            origins = text.origins and {path: vars(o) for path, o in text.origins.items()}
            out[name] = {"text": text.text, "origins": origins}
        else:  # code from before provenance
            out[name] = {"text": recipe.dumps()}
    except Exception as e:
        out[name] = {"error": " ".join(str(e).split())}
json.dump(out, sys.stdout)
"""


def flat_at_revision(rev: str, name: str, start: str | os.PathLike = ".") -> FlatConfig:
    """The recipe ``name`` built from the code at git revision ``rev`` (``REV:RECIPE``).

    The code is checked out into a temporary worktree and built in a subprocess; the
    worktree is removed afterwards whatever happens.
    """
    result = flats_at_revision(rev, [name], start)[name]
    if result is None:
        raise RecipeError(f"recipe {name}: there is no such recipe at {rev}")
    if isinstance(result, RecipeError):
        raise result
    return result


def flats_at_revision(rev: str, names: list[str], start: str | os.PathLike = ".") -> dict[str, FlatConfig | RecipeError | None]:
    """Several recipes built at ``rev`` in one worktree and one subprocess.

    Each name maps to its FlatConfig, a RecipeError if it failed to build, or None if the
    code at ``rev`` has no such recipe. A FlatConfig's ``origins`` name files as they are at
    ``rev`` (None when the code there does not record provenance). Raises RecipeError when the recipes cannot be
    loaded at all there.
    """
    output, failure = _python_at(rev, start, lambda at: ["-c", _AT_REVISION, str(at.tree), *names])
    if failure is not None:
        raise RecipeError(f"recipes at {rev}: cannot load them: {failure}")
    results = json.loads(output)
    out: dict[str, FlatConfig | RecipeError | None] = {}
    for name in names:
        entry = results[name]
        if "absent" in entry:
            out[name] = None
        elif "text" in entry:
            flat = out[name] = loads(entry["text"], source=f"{rev}:{name}")
            if entry.get("origins") is not None:
                flat.origins = {path: Origin(**fields) for path, fields in entry["origins"].items()}
        else:
            out[name] = RecipeError(f"at {rev}: {entry['error']}")
    return out


def explain_at_revision(rev: str, name: str, path: str, start: str | os.PathLike = ".") -> str:
    """What ``cfgdiff explain NAME PATH`` prints for the code at ``rev`` (see :func:`checkout`).

    Raises RecipeError with the one line the command gave instead, without its prefixes.
    """
    output, failure = _python_at(rev, start, lambda at: ["-m", "cfgdiff", "explain", name, path])
    if failure is not None:
        if failure.startswith("cfgdiff: error: "):
            raise RecipeError(failure.removeprefix("cfgdiff: error: ").removeprefix(f"{name}: "))
        raise RecipeError(f"the code at {rev} cannot explain it: {failure}")
    return output


def _python_at(rev: str, start: str | os.PathLike, args: Callable[[Checkout], list[str]]) -> tuple[str, str | None]:
    """Python run with ``args(checkout)`` on the code at ``rev`` (see :func:`checkout`): its
    output, and the last line it complained with when it failed (else None)."""
    with checkout(rev, start) as at:
        proc = subprocess.run([sys.executable, *args(at)], cwd=at.project, env=at.env, capture_output=True, text=True)
    if proc.returncode == 0:
        return proc.stdout, None
    return proc.stdout, (proc.stderr.strip().splitlines() or ["no output"])[-1]


class Checkout(NamedTuple):
    """A temporary worktree of one revision: its root, the project's folder in it, and the
    environment that runs the project's code from there."""

    tree: Path
    project: Path
    env: dict[str, str]


@contextlib.contextmanager
def checkout(rev: str, start: str | os.PathLike = ".") -> Iterator[Checkout]:
    """The project around ``start`` as it is at git revision ``rev``, in a temporary worktree
    that is removed afterwards whatever happens. Raises GitError for an unknown revision."""
    start_dir = Path(start).resolve()
    toplevel = Path(git.output(start_dir, "rev-parse", "--show-toplevel"))
    commit = git.output(start_dir, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", what=f"unknown git revision {rev!r}")
    pyproject, _ = settings.find(start_dir)
    project = Path(pyproject).parent if pyproject else start_dir
    relative = project.relative_to(toplevel) if project.is_relative_to(toplevel) else Path()
    tmp = Path(tempfile.mkdtemp(prefix="cfgdiff-rev-"))
    tree = tmp / "tree"
    try:
        git.output(toplevel, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        # The revision's own code first, before any installed (or editable) copy of it.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree / relative), env.get("PYTHONPATH")]))
        yield Checkout(tree, tree / relative, env)
    finally:
        git.run(toplevel, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(tmp, ignore_errors=True)
        git.run(toplevel, "worktree", "prune")
