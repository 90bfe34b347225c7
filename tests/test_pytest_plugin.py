"""The pytest plugin, run with pytester in throwaway projects."""

from __future__ import annotations

import pytest

from cfgdiff import golden
from cfgdiff.registry import discover
from tests.conftest import RECIPES, forget_recipe_modules, write_project

SMOKE_TEST = "def test_smoke():\n    assert True\n"


@pytest.fixture
def recipe_project(pytester: pytest.Pytester):
    """A project with three recipes, their golden files and one ordinary test."""
    package = write_project(pytester.path, {"PKG/__init__.py": RECIPES, "tests/test_smoke.py": SMOKE_TEST},
                            'recipes = ["PKG"]')
    with open(pytester.path / "pyproject.toml", "a") as f:
        f.write('\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    pytester.syspathinsert()
    pytester.makeconftest("import sys\nsys.dont_write_bytecode = True\n")
    assert golden.update(discover(pytester.path)).exit_code == 0
    forget_recipe_modules()  # the runs below import the recipes afresh, as pytest would
    return pytester.path / package / "__init__.py"


def test_one_golden_test_per_recipe_runs_with_the_suite(pytester, recipe_project):
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*pyproject.toml::test_golden[[]alpha[]] PASSED*", "*test_golden[[]beta-wide[]] PASSED*"])


def test_a_drifted_recipe_fails_with_the_field_diff_and_the_update_command(pytester, recipe_project):
    recipe_project.write_text(recipe_project.read_text().replace("base(dim=16)", "base(dim=24)"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*recipe beta-wide differs from golden_configs/beta-wide.txt: 1 changed*",
        "*model.dim*",
        "*to accept: cfgdiff golden update beta-wide*",
        "*or: pytest --update-golden 'pyproject.toml::test_golden[[]beta-wide[]]'",
    ])


def test_update_golden_rewrites_the_file_and_passes(pytester, recipe_project):
    recipe_project.write_text(recipe_project.read_text().replace("layers=4", "layers=5"))
    pytester.runpytest("--update-golden").assert_outcomes(passed=4)
    assert "model.layers: 5" in (pytester.path / "golden_configs/gamma.txt").read_text()
    pytester.runpytest().assert_outcomes(passed=4)


def test_selecting_files_by_hand_leaves_golden_tests_out_but_pyproject_selects_them(pytester, recipe_project):
    pytester.runpytest("tests/test_smoke.py").assert_outcomes(passed=1)
    pytester.runpytest("pyproject.toml", "-k", "alpha").assert_outcomes(passed=1)


def test_a_module_that_fails_to_import_is_one_failing_test(pytester, recipe_project):
    with open(pytester.path / "pyproject.toml", "a") as f:
        f.write("")
    text = (pytester.path / "pyproject.toml").read_text().replace('recipes = ["', 'recipes = ["not_there", "')
    (pytester.path / "pyproject.toml").write_text(text)
    result = pytester.runpytest()
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*recipe module not_there: ModuleNotFoundError: No module named 'not_there'*"])


def test_a_stale_golden_file_is_a_failing_test(pytester, recipe_project):
    (pytester.path / "golden_configs/retired.txt").write_text("x: 1\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*error: stale golden file golden_configs/retired.txt: no recipe 'retired'", "*fix: cfgdiff golden update --prune"])


def test_projects_without_tool_cfgdiff_get_nothing(pytester):
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\ntestpaths = ['tests']\n")
    pytester.mkdir("tests")
    (pytester.path / "tests/test_smoke.py").write_text(SMOKE_TEST)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=1)
    assert "test_golden" not in result.stdout.str()
