"""cfgdiff review across commits of a throwaway git repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cfgdiff.cli import main
from cfgdiff.golden import update
from cfgdiff.registry import discover
from cfgdiff.changes import Problem
from cfgdiff.render import render_changes, render_changes_json, render_changes_markdown
from cfgdiff.review import MARKER, RecipeReview, Review, changeset, review
from tests.conftest import forget_recipe_modules, git


def _edit(root: Path, old: str, new: str) -> None:
    init = next(root.glob("recipes_*/__init__.py"))
    text = init.read_text()
    assert old in text
    init.write_text(text.replace(old, new))
    forget_recipe_modules()


@pytest.fixture
def branch(project):
    """main: three recipes and their golden files; HEAD: branch 'feature' off main."""
    root = project()
    git(root, "init", "-q")
    update(discover())
    git(root, "add", ".")
    git(root, "commit", "-qm", "recipes")
    git(root, "checkout", "-qb", "feature")
    return root


def test_review_shows_each_change_once_and_calls_out_a_golden_file_left_behind(branch):
    _edit(branch, "momentum=0.9", "momentum=0.95")  # a shared default: all three recipes
    _edit(branch, "base(dim=16)", "base(dim=32)")  # beta-wide only
    _edit(branch, 'return {"gamma"', 'return {"delta": lambda: base(layers=8), "gamma"')  # a new recipe
    update(discover(), ["alpha", "beta-wide", "delta"])  # gamma's golden file is forgotten
    git(branch, "add", ".")
    git(branch, "commit", "-qm", "change")

    result = review(base="main")
    statuses = {r.name: r.status for r in result.recipes}
    assert statuses == {"alpha": "changed", "beta-wide": "changed", "delta": "added", "gamma": "changed"}
    changes = changeset(result)
    assert [(s.recipes, [f.path for f in s.diff.changed]) for s in changes.shared] == [
        (("alpha", "beta-wide", "gamma"), ["optimizer.momentum"])
    ]
    assert result.problems == [
        Problem("error", "recipe gamma changed but its golden file golden_configs/gamma.txt did not", "cfgdiff golden update gamma")
    ]
    assert next(r for r in result.recipes if r.name == "delta").old_source == "built"  # no golden file at the base

    text = render_changes(changes)
    assert text.count("optimizer.momentum") == 1 and "model.dim" in text
    assert "3 recipes changed, 1 added" in text.splitlines()[-1]
    assert "recipe beta-wide changed (golden file updated)" in text
    markdown = render_changes_markdown(changes, marker=MARKER)
    assert markdown.splitlines()[0] == MARKER
    assert "> - recipe gamma changed but its golden file golden_configs/gamma.txt did not" in markdown
    assert ">   cfgdiff golden update gamma" in markdown
    assert "+ model.dim: 32" in markdown and markdown.count("optimizer.momentum: 0.95") == 1
    document = json.loads(render_changes_json(changes))
    assert document["shared"][0]["recipes"] == ["alpha", "beta-wide", "gamma"]
    changed = document["shared"][0]["diff"]["changed"]
    # The recipes are built from code, so the new value names its origin: sgd's declared default.
    assert re.fullmatch(r"default, recipes_\w+/__init__\.py:6", changed[0].pop("origin"))
    assert changed == [{"path": "optimizer.momentum", "old": 0.9, "new": 0.95}]
    assert document["context"]["merge_base"] == result.merge_base


def test_review_calls_out_a_golden_file_edited_without_the_recipe_changing(branch):
    golden = branch / "golden_configs/alpha.txt"
    golden.write_text(golden.read_text().replace("model.layers: 2", "model.layers: 3"))
    git(branch, "commit", "-qam", "hand edit")
    result = review(base="main")
    assert [r.status for r in result.recipes] == ["unchanged"] * 3
    assert result.problems == [
        Problem(
            "warning",
            "golden file golden_configs/alpha.txt changed without the recipe alpha changing (or revert the file)",
            "cfgdiff golden update alpha",
        )
    ]


def test_review_command_defaults_to_main_and_prints_markdown(branch):
    result = CliRunner().invoke(main, ["review", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(MARKER + "\n")
    assert "No recipe's config changes." in result.output


def _review_json(*args: str) -> dict:
    result = CliRunner().invoke(main, ["review", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_review_command_defaults_to_the_upstream_branch_else_main(branch):
    # upstream: main plus a commit changing every recipe; the tracking branch starts there.
    git(branch, "checkout", "-qb", "upstream", "main")
    _edit(branch, "momentum=0.9", "momentum=0.95")
    update(discover())
    git(branch, "commit", "-qam", "momentum")
    git(branch, "checkout", "-qb", "tracking")
    git(branch, "branch", "--set-upstream-to=upstream")

    against_upstream = _review_json()
    assert against_upstream["context"]["base"] == "upstream"
    assert _changed(against_upstream) == []

    git(branch, "branch", "--unset-upstream")
    against_main = _review_json()
    assert against_main["context"]["base"] == "main"
    assert _changed(against_main) == ["alpha", "beta-wide", "gamma"]


def _changed(document: dict) -> list[str]:
    return sorted(r["name"] for r in document["recipes"] if r["status"] == "changed")


def test_review_markdown_stays_within_githubs_comment_limit(project):
    root = project({"PKG/__init__.py": """
        VERSION = "v1"

        def named_recipes():
            return {
                f"r{i:02d}": (lambda i=i: {f"field_{j:03d}": f"{VERSION}-recipe-{i}-field-{j}" for j in range(300)})
                for i in range(20)
            }
    """})
    git(root, "init", "-q")
    update(discover())
    git(root, "add", ".")
    git(root, "commit", "-qm", "recipes")
    git(root, "checkout", "-qb", "feature")
    _edit(root, 'VERSION = "v1"', 'VERSION = "v2"')  # 6,000 fields change, none shared by two recipes
    result = CliRunner().invoke(main, ["review", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(MARKER + "\n")
    assert "r00" in result.output
    assert len(result.output) <= 65_536


def test_review_with_an_unknown_base_is_a_one_line_error(branch):
    result = CliRunner().invoke(main, ["review", "--base", "nope"])
    assert result.exit_code == 2
    assert result.output == "cfgdiff: error: no merge base with 'nope' (is it a branch or revision here? use --base REV)\n"


def test_golden_files_left_behind_by_several_recipes_are_said_once():
    recipes = [RecipeReview(name, "changed", golden_left_behind=True) for name in ("a", "b")]
    result = Review("main", "0" * 40, recipes, [])
    assert result.problems == [Problem("error", "2 recipes changed but their golden files did not (a, b)", "cfgdiff golden update a b")]


def test_review_says_when_it_reviews_uncommitted_changes(branch):
    clean = CliRunner().invoke(main, ["review", "--base", "main", "--format", "json"])
    assert "worktree" not in json.loads(clean.output)["context"]
    _edit(branch, "momentum=0.9", "momentum=0.95")
    result = CliRunner().invoke(main, ["review", "--base", "main"])
    assert result.output.splitlines()[0].endswith(", with uncommitted changes")
    markdown = CliRunner().invoke(main, ["review", "--base", "main", "--format", "markdown"]).output
    assert "with uncommitted changes" in markdown
