"""The git pre-commit hook: install it, and decide whether a commit touches the recipes.

The hook script itself is ``hooks/pre-commit`` in the repository; its text is kept here
too (a test keeps the two equal) so that ``cfgdiff hooks install`` works from an installed
package, where the repository's files are not around.
"""

from __future__ import annotations

import os
from pathlib import Path

from cfgdiff import git
from cfgdiff.canonical import write_text_atomic
from cfgdiff.errors import CfgdiffError
from cfgdiff.registry import Registry

PRE_COMMIT_SCRIPT = r"""#!/bin/sh
# cfgdiff golden-config check, installed by 'cfgdiff hooks install'.
#
# When the commit stages Python files, pyproject.toml or golden files, it checks every
# recipe against its golden file: any Python change in the project can alter any recipe,
# so no smaller set is safe. Other commits pass untouched. Skip once: git commit --no-verify.
if ! command -v cfgdiff >/dev/null 2>&1; then
    echo "cfgdiff pre-commit hook: 'cfgdiff' is not on PATH; activate the project's environment" \
         "(or skip this check once with 'git commit --no-verify')" >&2
    exit 1
fi
exec cfgdiff golden check --staged
"""


class HookError(CfgdiffError, ValueError):
    """The hook cannot be installed; the message says what to do."""


def install(start: str | os.PathLike = ".", force: bool = False) -> tuple[Path, str]:
    """Write the pre-commit hook into the git repository containing ``start``.

    Returns (hook path, what happened: "installed" | "already installed" | "replaced").
    An existing different hook is kept unless ``force``; then it is saved beside as
    ``pre-commit.before-cfgdiff``.
    """
    where = f"{os.fspath(start)}: not in a git repository"
    hooks_dir = (Path(start).resolve() / git.output(start, "rev-parse", "--git-path", "hooks", what=where)).resolve()
    hook = hooks_dir / "pre-commit"
    what = "installed"
    if hook.exists():
        if hook.read_text(encoding="utf-8", errors="replace") == PRE_COMMIT_SCRIPT:
            return hook, "already installed"
        if not force:
            raise HookError(f"{hook} exists and is a different hook; rerun with --force to replace it (it is kept as pre-commit.before-cfgdiff)")
        os.replace(hook, hook.with_name("pre-commit.before-cfgdiff"))
        what = "replaced"
    hooks_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(hook, PRE_COMMIT_SCRIPT, mode=0o755)  # executable from the moment it exists
    return hook, what


def staged_recipe_files(registry: Registry) -> list[str]:
    """Staged files that can change a recipe or its golden file: the project's ``.py`` files,
    its pyproject.toml and anything in the golden folder (paths relative to the repository)."""
    return [
        name
        for name, file in _changed_files(registry, "--cached")
        if (name.endswith(".py") and file.is_relative_to(registry.root))
        or file == registry.root / "pyproject.toml"
        or file.is_relative_to(registry.golden_dir)
    ]


def unstaged_golden_files(registry: Registry) -> list[str]:
    """Golden files changed in the working tree but not staged: a check sees them, the commit does not."""
    return [name for name, file in _changed_files(registry) if file.is_relative_to(registry.golden_dir)]


def _changed_files(registry: Registry, *diff_args: str) -> list[tuple[str, Path]]:
    """(path relative to the repository, absolute path) of each file ``git diff ARGS`` names."""
    where = f"{registry.root}: not in a git repository"
    toplevel = Path(git.output(registry.root, "rev-parse", "--show-toplevel", what=where)).resolve()
    names = git.output(registry.root, "diff", *diff_args, "--name-only", "-z", "--no-renames").split("\0")
    return [(name, toplevel / name) for name in names if name]
