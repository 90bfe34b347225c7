"""Golden files: check, update, prune, shared changes said once, atomic writes, and errors."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from cfgdiff import golden
from cfgdiff.cli import main
from cfgdiff.registry import discover
from tests.conftest import forget_recipe_modules


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def edit_recipes(root: Path, old: str, new: str) -> None:
    file = next(root.glob("recipes_*/__init__.py"))
    file.write_text(file.read_text().replace(old, new))
    forget_recipe_modules()  # as a new cfgdiff process would


def test_update_writes_one_file_per_recipe_with_a_regenerate_header(project):
    root = project()
    result = run("golden", "update")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "golden_configs").iterdir()) == ["alpha.txt", "beta-wide.txt", "gamma.txt"]
    text = (root / "golden_configs/alpha.txt").read_text()
    assert text.splitlines()[0] == "# cfgdiff golden config for recipe alpha: regenerate with 'cfgdiff golden update alpha'"
    assert "optimizer.momentum: 0.9\n" in text
    assert "created golden_configs/alpha.txt" in result.output
    assert result.output.splitlines()[-1] == "golden update: 3 created"


def test_check_is_clean_after_update(project):
    project()
    run("golden", "update")
    result = run("golden", "check")
    assert (result.exit_code, result.output) == (0, "golden check: 3 match\n")


def test_check_shows_the_field_diff_and_the_update_command(project):
    root = project()
    run("golden", "update")
    edit_recipes(root, "base(dim=16)", "base(dim=32)")
    result = run("golden", "check")
    assert result.exit_code == 1
    assert "recipe beta-wide differs from golden_configs/beta-wide.txt: 1 changed" in result.output
    assert "model.dim" in result.output and "16" in result.output and "32" in result.output
    assert "to accept: cfgdiff golden update beta-wide" in result.output


def test_a_change_shared_by_several_recipes_is_said_once(project):
    root = project()
    run("golden", "update")
    edit_recipes(root, "momentum=0.9", "momentum=0.95")
    result = run("golden", "check")
    assert result.exit_code == 1
    assert "Shared by 3 recipes (alpha, beta-wide, gamma): 1 changed" in result.output
    assert "~ optimizer.momentum: 0.9 -> 0.95" in result.output
    assert result.output.count("optimizer.momentum") == 1


def test_check_reports_a_recipe_whose_list_items_only_swapped(project):
    root = project({"PKG/__init__.py": """
        import cfgdiff
        from cfgdiff import Config

        def rule(name, size):
            return (name, size)

        def mesh(rules):
            return rules

        ORDER = ["data", "model"]

        @cfgdiff.recipe
        def meshy():
            return Config(mesh, rules=[Config(rule, name=n, size=len(n)) for n in ORDER])
    """})
    run("golden", "update")
    edit_recipes(root, 'ORDER = ["data", "model"]', 'ORDER = ["model", "data"]')
    result = run("golden", "check")
    assert result.exit_code == 1
    assert "recipe meshy differs from golden_configs/meshy.txt" in result.output
    assert "2 moved" in result.output


def test_a_field_changed_differently_in_one_recipe_is_still_shown_there(project):
    root = project({"PKG/__init__.py": """
        X = {"a": 1, "b": 1, "c": 1}
        def named_recipes():
            return {name: (lambda name=name: {"x": X[name]}) for name in X}
    """})
    run("golden", "update")
    edit_recipes(root, 'X = {"a": 1, "b": 1, "c": 1}', 'X = {"a": 2, "b": 2, "c": 3}')
    result = run("golden", "check")
    assert "Shared by 2 recipes (a, b): 1 changed\n  # ['x'] (1 changed)\n    ~ ['x']: 1 -> 2\n" in result.output
    assert "2 recipes differ only by the shared changes above: a, b" in result.output
    assert "recipe c differs from golden_configs/c.txt: 1 changed" in result.output and "1 -> 3" in result.output


def test_update_reports_what_changed_and_leaves_the_rest(project):
    root = project()
    run("golden", "update")
    before = (root / "golden_configs/alpha.txt").stat().st_mtime_ns
    edit_recipes(root, "layers=4", "layers=6")
    result = run("golden", "update")
    assert result.exit_code == 0
    assert "recipe gamma updated golden_configs/gamma.txt: 1 changed" in result.output
    assert result.output.splitlines()[-1] == "golden update: 1 updated, 2 unchanged"
    assert (root / "golden_configs/alpha.txt").stat().st_mtime_ns == before
    assert run("golden", "check").exit_code == 0


def test_update_counts_the_labels_of_what_it_accepted_as_check_does(project):
    root = project()
    run("golden", "update")
    edit_recipes(root, "base(dim=16)", "base(dim=32)")
    assert run("golden", "check").output.splitlines()[-2] == "golden check: 1 differ, 2 match; labelled: 1 breaks-checkpoint"
    result = run("golden", "update")
    assert result.output.splitlines()[-1] == "golden update: 1 updated, 2 unchanged; labelled: 1 breaks-checkpoint"


def test_check_and_update_of_named_recipes_only(project):
    root = project()
    assert run("golden", "update", "alpha").exit_code == 0
    assert [p.name for p in (root / "golden_configs").iterdir()] == ["alpha.txt"]
    assert run("golden", "check", "alpha").exit_code == 0
    result = run("golden", "check", "alhpa")
    assert result.exit_code == 2 and "unknown recipe 'alhpa' (did you mean 'alpha'?)" in result.output


def test_missing_and_stale_golden_files_are_reported_and_pruned_only_on_request(project):
    root = project()
    run("golden", "update")
    (root / "golden_configs/alpha.txt").unlink()
    (root / "golden_configs/retired.txt").write_text("a: 1\n")
    result = run("golden", "check")
    assert result.exit_code == 1
    assert "error: missing golden file golden_configs/alpha.txt for recipe alpha\n  fix: cfgdiff golden update alpha\n" in result.output
    assert "error: stale golden file golden_configs/retired.txt: no recipe 'retired'\n  fix: cfgdiff golden update --prune\n" in result.output
    result = run("golden", "update")
    assert "kept (pass --prune to remove it)" in result.output and (root / "golden_configs/retired.txt").exists()
    result = run("golden", "update", "--prune")
    assert result.exit_code == 0 and "removed golden_configs/retired.txt" in result.output
    assert not (root / "golden_configs/retired.txt").exists()
    assert run("golden", "check").exit_code == 0


def test_stale_files_are_not_pruned_while_a_recipe_module_fails_to_import(project):
    root = project({"PKG/__init__.py": "def named_recipes(): return {'a': lambda: {'x': 1}}\n", "PKG/bad.py": "1/0\n"},
                   settings='recipes = ["PKG", "PKG.bad"]')
    (root / "golden_configs").mkdir()
    (root / "golden_configs/from_bad_module.txt").write_text("x: 1\n")
    result = run("golden", "update", "--prune")
    assert result.exit_code == 2
    assert "ZeroDivisionError: division by zero" in result.output
    assert (root / "golden_configs/from_bad_module.txt").exists()


def test_a_recipe_that_fails_to_build_does_not_stop_the_others(project):
    root = project({"PKG/__init__.py": """
        import cfgdiff
        @cfgdiff.recipe
        def good(): return {"x": 1}
        @cfgdiff.recipe
        def bad(): raise ValueError("no such dataset")
    """})
    result = run("golden", "update")
    assert result.exit_code == 2
    assert "error: recipe bad: ValueError: no such dataset (" in result.output
    assert (root / "golden_configs/good.txt").exists() and not (root / "golden_configs/bad.txt").exists()
    assert run("golden", "check").exit_code == 2


def test_a_malformed_golden_file_is_file_and_line_with_exit_2(project):
    root = project()
    run("golden", "update")
    path = root / "golden_configs/alpha.txt"
    path.write_text(path.read_text() + "this line has no separator\n")
    result = run("golden", "check")
    assert result.exit_code == 2
    lineno = len(path.read_text().splitlines())
    assert f"error: golden_configs/alpha.txt:{lineno}: expected 'path: value'" in result.output
    assert run("golden", "update").exit_code == 0  # update repairs it
    assert run("golden", "check").exit_code == 0


def test_a_header_or_layout_difference_is_not_a_mismatch(project):
    root = project()
    run("golden", "update")
    path = root / "golden_configs/alpha.txt"
    path.write_text("# edited by hand\n" + path.read_text())
    assert run("golden", "check").exit_code == 0
    assert "same fields, header or layout refreshed" in run("golden", "update").output


def test_a_crash_mid_write_leaves_the_old_golden_file_and_no_temp_file(project, monkeypatch):
    root = project()
    run("golden", "update")
    path = root / "golden_configs/alpha.txt"
    before = path.read_bytes()
    edit_recipes(root, "momentum=0.9", "momentum=0.5")

    def crash(src, dst):
        raise OSError(28, "No space left on device", str(dst))

    monkeypatch.setattr(os, "replace", crash)
    result = run("golden", "update", "alpha")
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["alpha.txt", "beta-wide.txt", "gamma.txt"]


def test_update_writes_each_temp_file_beside_its_golden_file(project, monkeypatch):
    # A rename is atomic only within one file system: a temp file in the system temp
    # folder (often another file system) would turn os.replace into a copy, or fail.
    root = project()
    renames = []
    real_replace = os.replace

    def recording_replace(src, dst):
        renames.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    assert run("golden", "update").exit_code == 0
    golden_dir = (root / "golden_configs").resolve()
    assert sorted(dst.name for _, dst in renames) == ["alpha.txt", "beta-wide.txt", "gamma.txt"]
    assert all(src.resolve().parent == golden_dir for src, _ in renames)


def test_golden_commands_outside_a_project_are_one_line_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("golden", "check")
    assert result.exit_code == 2
    assert result.output.startswith("cfgdiff: error: no pyproject.toml with a [tool.cfgdiff] table")
    assert len(result.output.splitlines()) == 1


def test_report_api_without_the_cli(project):
    project()
    registry = discover()
    assert golden.update(registry).exit_code == 0
    report = golden.check(registry)
    assert [e.status for e in report.entries] == ["same", "same", "same"]


def test_check_reports_temporary_files_an_interrupted_update_left(project):
    root = project()
    run("golden", "update")
    (root / "golden_configs/.alpha.txt.k3j_x9a1.tmp").write_text("half a golden file")
    result = run("golden", "check")
    assert result.exit_code == 1
    assert "leftover temporary file golden_configs/.alpha.txt.k3j_x9a1.tmp from an interrupted golden update" in result.output


def test_update_removes_temporary_files_an_interrupted_update_left(project):
    root = project()
    run("golden", "update")
    (root / "golden_configs/.alpha.txt.k3j_x9a1.tmp").write_text("half a golden file")
    result = run("golden", "update")
    assert result.exit_code == 0 and "1 leftover temporary removed" in result.output
    assert sorted(p.name for p in (root / "golden_configs").iterdir()) == ["alpha.txt", "beta-wide.txt", "gamma.txt"]
    assert run("golden", "check").exit_code == 0
