"""The git pre-commit hook (install, and a real commit) and the pre-commit framework hook."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cfgdiff import hooks
from cfgdiff.golden import update
from cfgdiff.registry import discover
from tests.conftest import forget_recipe_modules, git

REPO = Path(__file__).resolve().parent.parent


def test_the_hook_script_in_the_repository_is_the_one_installed():
    assert (REPO / "hooks/pre-commit").read_text() == hooks.PRE_COMMIT_SCRIPT


def test_install_writes_an_executable_hook_once(tmp_path):
    git(tmp_path, "init", "-q")
    path, what = hooks.install(tmp_path)
    assert what == "installed" and path == tmp_path / ".git/hooks/pre-commit"
    assert os.access(path, os.X_OK)
    assert hooks.install(tmp_path)[1] == "already installed"


def test_install_refuses_to_overwrite_a_different_hook_without_force(tmp_path):
    git(tmp_path, "init", "-q")
    hook = tmp_path / ".git/hooks/pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\necho mine\n")
    with pytest.raises(hooks.HookError, match="exists and is a different hook; rerun with --force"):
        hooks.install(tmp_path)
    assert hooks.install(tmp_path, force=True)[1] == "replaced"
    assert hook.read_text() == hooks.PRE_COMMIT_SCRIPT
    assert (hook.parent / "pre-commit.before-cfgdiff").read_text() == "#!/bin/sh\necho mine\n"


def _commit(repo: Path, message: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message],
        cwd=repo, capture_output=True, text=True,
    )


def _repo_with_hook(project) -> Path:
    """A git repository holding a recipe project and its golden files, with the hook installed."""
    root = project()
    git(root, "init", "-q")
    update(discover())
    hooks.install(root)
    git(root, "add", ".")
    assert _commit(root, "recipes and golden files").returncode == 0
    return root


def test_the_git_hook_blocks_a_commit_whose_recipe_drifted_from_its_golden_file(project):
    root = _repo_with_hook(project)

    (root / "README.md").write_text("docs\n")  # nothing that can change a recipe: not checked
    git(root, "add", "README.md")
    quiet = _commit(root, "docs")
    assert quiet.returncode == 0 and "checking" not in quiet.stdout + quiet.stderr

    init = next(root.glob("recipes_*/__init__.py"))
    init.write_text(init.read_text().replace("steps=10", "steps=20"))
    git(root, "add", ".")
    blocked = _commit(root, "more steps")
    assert blocked.returncode == 1
    out = blocked.stdout + blocked.stderr
    assert "may change recipes: checking all 3 recipes" in out
    assert "Shared by 3 recipes (alpha, beta-wide, gamma): 1 changed" in out and "~ steps: 10 -> 20" in out
    assert "To accept these configs: cfgdiff golden update" in out and "Then stage them: git add golden_configs" in out


def test_the_git_hook_blocks_a_commit_that_leaves_the_updated_golden_files_unstaged(project):
    root = _repo_with_hook(project)

    init = next(root.glob("recipes_*/__init__.py"))
    init.write_text(init.read_text().replace("steps=10", "steps=20"))
    forget_recipe_modules()
    update(discover())  # the golden files are updated in the working tree...
    git(root, "add", str(init))  # ...but only the recipe is staged
    blocked = _commit(root, "more steps")
    assert blocked.returncode == 1
    assert "golden files changed but not staged: stage them: git add golden_configs/alpha.txt" in blocked.stdout + blocked.stderr


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed")
def test_pre_commit_framework_runs_the_cfgdiff_golden_hook(project, tmp_path):
    root = project()
    git(root, "init", "-q")
    update(discover())
    init = next(root.glob("recipes_*/__init__.py"))
    init.write_text(init.read_text().replace("dim=8", "dim=12"))
    git(root, "add", ".")
    # A hook repository holding just our manifest: language system needs nothing else, and
    # the test does not depend on what is committed in this checkout.
    hook_repo = tmp_path / "hook-repo"
    hook_repo.mkdir()
    shutil.copy(REPO / ".pre-commit-hooks.yaml", hook_repo)
    git(hook_repo, "init", "-q")
    git(hook_repo, "add", ".")
    git(hook_repo, "commit", "-qm", "hooks")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        ["pre-commit", "try-repo", str(hook_repo), "cfgdiff-golden"], cwd=root, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cfgdiff golden configs" in proc.stdout and "Failed" in proc.stdout
    assert "Shared by 2 recipes (alpha, gamma): 1 changed" in proc.stdout and "~ model.dim: 8 -> 12" in proc.stdout
