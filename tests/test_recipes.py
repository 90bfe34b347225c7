"""The recipe registry: registration, discovery through pyproject.toml, and every error."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cfgdiff.cli import main
from cfgdiff.git import GitError
from cfgdiff.registry import RecipeError, discover, find
from cfgdiff.settings import SettingsError
from cfgdiff.revisions import flat_at_revision
from tests.conftest import git


def test_decorator_and_named_recipes_are_discovered_with_their_locations(project):
    root = project()
    registry = discover()
    assert list(registry) == ["alpha", "beta-wide", "gamma"]
    assert registry.root == root and registry.golden_dir == root / "golden_configs"
    file, line = registry["alpha"].location.rsplit(":", 1)
    assert file.endswith("__init__.py") and int(line) > 0
    assert registry["beta-wide"].fn.__name__ == "beta"


def test_recipe_builds_its_config(project):
    project()
    flat = discover()["beta-wide"].flat()
    assert flat["model.dim"] == 16 and flat["optimizer.momentum"] == 0.9


def test_discovery_works_from_a_subdirectory(project):
    root = project()
    (root / "sub").mkdir()
    assert "alpha" in discover(root / "sub")


def test_golden_dir_comes_from_pyproject(project):
    root = project(settings='recipes = ["PKG"]\ngolden_dir = "locked"')
    assert discover().golden_dir == root / "locked"


def test_outside_any_project_the_builtin_recipes_are_used(tmp_path):
    registry = discover(tmp_path)
    assert registry.pyproject is None and "tiny_lm" in registry


def test_two_recipes_with_one_name_is_an_error_naming_both(project):
    project({"PKG/__init__.py": """
        import cfgdiff
        @cfgdiff.recipe(name="same")
        def one(): return 1
        @cfgdiff.recipe(name="same")
        def two(): return 2
    """})
    with pytest.raises(RecipeError, match=r"recipe same: defined twice, at .*__init__.py:3 and at .*__init__.py:5"):
        discover()


def test_a_function_both_decorated_and_listed_is_one_recipe(project):
    project({"PKG/__init__.py": """
        import cfgdiff
        @cfgdiff.recipe
        def one(): return 1
        def named_recipes(): return {"one": one}
    """})
    assert list(discover()) == ["one"]


@pytest.mark.parametrize("name", ["a/b", "..", "x..y", "", "has space", "rev:name"])
def test_bad_recipe_names_are_refused(project, name):
    project({"PKG/__init__.py": f"def named_recipes(): return {{{name!r}: lambda: 1}}\n"})
    with pytest.raises(RecipeError, match="recipe .*name"):
        discover()


def test_a_module_that_fails_to_import_is_reported_and_the_others_still_load(project):
    project(
        {"PKG/__init__.py": "", "PKG/good.py": "def named_recipes(): return {'ok': lambda: 1}\n", "PKG/bad.py": "x = 1\nraise RuntimeError('boom')\n"},
        settings='recipes = ["PKG.bad", "PKG.good"]',
    )
    registry = discover()
    assert list(registry) == ["ok"]
    [error] = registry.errors
    assert str(error).startswith("recipe module recipes_") and str(error).endswith(f"RuntimeError: boom ({os.path.join('recipes_' + str(error).split('recipes_')[1].split('.')[0], 'bad.py')}:2)")


def test_a_missing_recipe_module_names_the_module(project):
    project(settings='recipes = ["no_such_module"]')
    [error] = discover().errors
    assert str(error) == "recipe module no_such_module: ModuleNotFoundError: No module named 'no_such_module' (pyproject.toml)"


def test_a_recipe_that_fails_to_build_says_where(project):
    project({"PKG/__init__.py": """
        import cfgdiff
        @cfgdiff.recipe
        def broken():
            return {}["missing"]
    """})
    with pytest.raises(RecipeError, match=r"^recipe broken: KeyError: 'missing' \(.*__init__.py:5\)$"):
        discover()["broken"].build()


def test_a_config_error_points_at_the_recipe_line_not_cfgdiff(project):
    project({"PKG/__init__.py": """
        import cfgdiff
        def f(a=1): return a
        @cfgdiff.recipe
        def typo():
            return cfgdiff.Config(f).set(b=2)
    """})
    with pytest.raises(RecipeError, match=r"^recipe typo: UnknownFieldError: .*'b'.*__init__.py:6\)$"):
        discover()["typo"].dumps()


def test_a_config_that_cannot_be_written_is_a_recipe_error(project):
    project({"PKG/__init__.py": "import cfgdiff\n@cfgdiff.recipe\ndef lam(): return {'f': lambda: 1}\n"})
    with pytest.raises(RecipeError, match=r"^recipe lam: CanonicalError: \['f'\]: a lambda"):
        discover()["lam"].dumps()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('recipes = "PKG"\nwhat = 1', "unknown key 'what'"),
        ("recipes = [1]", "recipes must be a list of module names"),
        ('recipes = []\ngolden_dir = "/abs"', "golden_dir must be a folder relative"),
        ('recipes = []\ngolden_dir = "sub/../../x"', "golden_dir 'sub/../../x' is outside the project"),
        ("recipes = [", "invalid TOML"),
    ],
)
def test_bad_tool_cfgdiff_settings_are_one_line_errors(project, settings, message):
    project(settings=settings)
    with pytest.raises(SettingsError, match=message):
        discover()


def test_find_by_name_and_by_module_reference(project):
    root = project()
    package = next(p.name for p in root.iterdir() if p.name.startswith("recipes_"))
    assert find("gamma").name == "gamma"
    by_ref = find(f"{package}:alpha")
    assert by_ref.name == f"{package}:alpha" and by_ref.flat()["model.layers"] == 2


def test_a_module_reference_may_name_a_config_and_each_build_gets_a_copy(project):
    root = project({"cfgmod.py": "from cfgdiff import Config\n\ndef f(x=1):\n    return x\n\nBASE = Config(f)\n"})
    recipe = find("cfgmod:BASE")
    recipe.build().x = 5
    assert recipe.build().x == 1
    assert recipe.location == str(Path("cfgmod.py")) and root.is_dir()


def test_a_module_reference_to_something_else_is_an_error(project):
    project({"valuemod.py": "VALUE = 3\n"})
    with pytest.raises(RecipeError, match="valuemod has no function or config 'VALUE'"):
        find("valuemod:VALUE")


def test_find_unknown_name_suggests_the_closest(project):
    project()
    with pytest.raises(LookupError, match=r"unknown recipe 'alpah' \(did you mean 'alpha'\?\)"):
        find("alpah")


def test_list_command_prints_names_and_locations(project):
    project()
    result = CliRunner().invoke(main, ["list"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == ["alpha", "beta-wide", "gamma"]


def test_list_command_reports_import_errors_with_exit_2(project):
    project({"PKG/__init__.py": "import nowhere_to_be_found\n"})
    result = CliRunner().invoke(main, ["list"])
    assert result.exit_code == 2
    assert "ModuleNotFoundError: No module named 'nowhere_to_be_found'" in result.output


def _worktrees(repo: Path) -> list[str]:
    return [line for line in git(repo, "worktree", "list", "--porcelain").splitlines() if line.startswith("worktree ")]


def test_recipe_at_a_git_revision_is_built_from_that_code_and_the_worktree_removed(project, tmp_path, monkeypatch):
    root = project()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "v1")
    package_init = next(root.glob("recipes_*/__init__.py"))
    package_init.write_text(package_init.read_text().replace("momentum=0.9", "momentum=0.95"))
    assert discover()["alpha"].flat()["optimizer.momentum"] == 0.95
    assert flat_at_revision("HEAD", "alpha")["optimizer.momentum"] == 0.9
    with pytest.raises(RecipeError, match="no such recipe at HEAD"):
        flat_at_revision("HEAD", "delta")
    with pytest.raises(GitError, match="unknown git revision 'nope'"):
        flat_at_revision("nope", "alpha")
    package_init.write_text("raise ImportError('broken at this revision')\n")
    git(root, "commit", "-qam", "v2: recipes that cannot be imported")
    with pytest.raises(RecipeError, match="at HEAD: unknown recipe 'alpha'.*ImportError: broken at this revision"):
        flat_at_revision("HEAD", "alpha")
    assert len(_worktrees(root)) == 1 and list(scratch.iterdir()) == []

    real_run = subprocess.run

    def interrupted(args, **kwargs):  # the build is interrupted (Ctrl-C) while it runs
        if args[0] == sys.executable:
            raise KeyboardInterrupt
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        flat_at_revision("HEAD~1", "alpha")
    monkeypatch.undo()
    assert len(_worktrees(root)) == 1 and list(scratch.iterdir()) == []


def test_a_recipe_that_returns_a_non_config_is_a_one_line_error(project):
    project(files={"PKG/__init__.py": "import cfgdiff\n\n@cfgdiff.recipe\ndef answer():\n    return 42\n"})
    with pytest.raises(RecipeError, match=r"recipe answer: CanonicalError: <root>: 42 \(int\) is not a config"):
        discover()["answer"].dumps()
