"""The provenance commands: `blame`, `explain`, `show --non-default`, on recipes and REV:RECIPE."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from tests.conftest import cfgdiff, git

RECIPE = textwrap.dedent(
    '''
    import cfgdiff
    from cfgdiff import Config


    def sgd(learning_rate, momentum=0.9):
        """Stochastic gradient descent.

        Args:
          learning_rate: the step size.
          momentum: how much of the last
            update is kept.
        """
        return (learning_rate, momentum)


    def trainer(optimizer, steps=10, rules=("data",)):
        return (optimizer, steps, rules)


    @cfgdiff.recipe
    def alpha():
        cfg = Config(trainer, optimizer=Config(sgd, learning_rate=0.1))
        cfg.optimizer.set(learning_rate=0.2)
        return cfg.clone(steps=20)
    '''
)


def line_of(text: str, snippet: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if snippet in line)


@pytest.fixture
def recipe_file(project) -> str:
    """A project with the recipe ``alpha``; returns its module file, relative to the project root."""
    root = project({"PKG/__init__.py": RECIPE})
    return next(root.glob("recipes_*/__init__.py")).relative_to(root).as_posix()


# -- blame --------------------------------------------------------------------------------


def test_blame_names_the_last_line_that_set_each_field_and_the_declaration_of_defaults(recipe_file):
    result = cfgdiff("blame", "alpha", "--color", "never")
    assert result.exit_code == 0
    rows = [line.split() for line in result.stdout.splitlines()]
    by_path = {row[0].rstrip(":"): " ".join(row[2:]) for row in rows}
    assert by_path["optimizer.learning_rate"] == f"{recipe_file}:{line_of(RECIPE, 'learning_rate=0.2')} (alpha)"
    assert by_path["steps"] == f"{recipe_file}:{line_of(RECIPE, 'cfg.clone(steps=20)')} (alpha)"
    assert by_path["optimizer.momentum"] == f"default, {recipe_file}:{line_of(RECIPE, 'def sgd')}"
    assert by_path["rules[0]"] == f"default, {recipe_file}:{line_of(RECIPE, 'def trainer')}"
    assert by_path["fn"] == f"{recipe_file}:{line_of(RECIPE, 'cfg = Config(trainer')} (alpha)"


def test_blame_aligns_the_origin_column(recipe_file):
    lines = cfgdiff("blame", "alpha").stdout.splitlines()
    columns = {re.match(r"(.*?\S)  +(?=\S)", line).end() for line in lines}
    assert len(lines) == 6 and len(columns) == 1


def test_blame_under_a_prefix_shows_only_that_subtree(recipe_file):
    result = cfgdiff("blame", "alpha", "optimizer")
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        "optimizer.fn", "optimizer.learning_rate", "optimizer.momentum",
    ]


def test_blame_of_an_unknown_prefix_suggests_the_closest(recipe_file):
    result = cfgdiff("blame", "alpha", "optimiser")
    assert result.exit_code == 2
    assert result.stderr == "cfgdiff: error: recipe alpha: no field at or under 'optimiser' (did you mean 'optimizer'?)\n"


def test_blame_json_gives_path_value_and_origin_fields(recipe_file):
    result = cfgdiff("blame", "alpha", "--format", "json")
    document = json.loads(result.stdout)
    assert document["source"] == "recipe alpha"
    assert document["fields"][0] == {
        "path": "fn",
        "value": {"$type": "symbol", "repr": f"{recipe_file.split('/')[0]}.trainer"},
        "origin": {"file": recipe_file, "line": line_of(RECIPE, "cfg = Config(trainer"), "function": "alpha", "default": False},
    }
    assert [field["path"] for field in document["fields"]][-2:] == ["rules[0]", "steps"]


def test_blame_colours_only_when_asked(recipe_file):
    assert "\x1b[" in cfgdiff("blame", "alpha", "--color", "always").stdout
    assert "\x1b[" not in cfgdiff("blame", "alpha", "--color", "auto", NO_COLOR="1").stdout


def test_blame_of_a_file_is_one_line_suggesting_a_recipe(recipe_file):
    Path("golden.txt").write_text("steps: 20\n")
    result = cfgdiff("blame", "golden.txt")
    assert result.exit_code == 2
    assert result.stderr.startswith("cfgdiff: error: golden.txt: no provenance") and "recipe name" in result.stderr
    assert result.stderr.count("\n") == 1


def test_blame_of_rev_recipe_names_the_lines_of_that_revision(recipe_file, project):
    root = Path.cwd()
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "v1")
    module = root / recipe_file
    module.write_text("\n\n\n" + RECIPE.replace("steps=20", "steps=30"))  # every line moves down by 3
    at_head = {row.split(":")[0]: row for row in cfgdiff("blame", "HEAD:alpha").stdout.splitlines()}
    now = {row.split(":")[0]: row for row in cfgdiff("blame", "alpha").stdout.splitlines()}
    assert at_head["steps"].split()[1:] == ["20", f"{recipe_file}:{line_of(RECIPE, 'steps=20')}", "(alpha)"]
    assert now["steps"].split()[1:] == ["30", f"{recipe_file}:{line_of(RECIPE, 'steps=20') + 3}", "(alpha)"]


# -- show --non-default ---------------------------------------------------------------------


def test_show_non_default_prints_exactly_what_the_recipe_sets(recipe_file):
    result = cfgdiff("show", "--non-default", "alpha")
    assert result.exit_code == 0
    package = recipe_file.split("/")[0]
    assert result.stdout == f"fn: {package}.trainer\noptimizer.fn: {package}.sgd\noptimizer.learning_rate: 0.2\nsteps: 20\n"


def test_show_non_default_of_a_file_is_one_line(recipe_file):
    Path("golden.txt").write_text("steps: 20\n")
    result = cfgdiff("show", "--non-default", "golden.txt")
    assert result.exit_code == 2 and "no provenance" in result.stderr and result.stderr.count("\n") == 1


# -- explain ------------------------------------------------------------------------------------


def test_explain_says_what_a_field_configures(recipe_file):
    result = cfgdiff("explain", "alpha", "optimizer.momentum")
    assert result.exit_code == 0
    package = recipe_file.split("/")[0]
    assert result.stdout == (
        "optimizer.momentum: 0.9\n"
        f"  configures  {package}.sgd, parameter 'momentum'\n"
        "  default     0.9\n"
        f"  declared    {recipe_file}:{line_of(RECIPE, 'def sgd')}\n"
        "  doc         how much of the last update is kept.\n"
        f"  value from  default, {recipe_file}:{line_of(RECIPE, 'def sgd')}\n"
    )


def test_explain_of_an_unknown_path_is_one_line_with_a_suggestion(recipe_file):
    result = cfgdiff("explain", "alpha", "optimizer.momentun")
    assert result.exit_code == 2
    assert result.stderr == "cfgdiff: error: alpha: no field 'optimizer.momentun' in this config (did you mean 'optimizer.momentum'?)\n"


def test_explain_of_a_file_is_one_line(recipe_file):
    Path("golden.txt").write_text("steps: 20\n")
    result = cfgdiff("explain", "golden.txt", "steps")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


def _commit_then_move_every_line_down(root: Path, recipe_file: str) -> None:
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "v1")
    (root / recipe_file).write_text("\n\n\n" + RECIPE.replace("momentum=0.9", "momentum=0.5"))


def test_explain_of_rev_recipe_explains_the_code_at_that_revision(recipe_file):
    _commit_then_move_every_line_down(Path.cwd(), recipe_file)
    at_head, now = cfgdiff("explain", "HEAD:alpha", "optimizer.momentum"), cfgdiff("explain", "alpha", "optimizer.momentum")
    assert at_head.exit_code == 0 and now.exit_code == 0
    declared = line_of(RECIPE, "def sgd")
    assert at_head.stdout.splitlines()[0] == "optimizer.momentum: 0.9"
    assert f"  declared    {recipe_file}:{declared}" in at_head.stdout.splitlines()
    assert now.stdout.splitlines()[0] == "optimizer.momentum: 0.5"
    assert f"  declared    {recipe_file}:{declared + 3}" in now.stdout.splitlines()


def test_explain_of_rev_recipe_with_an_unknown_path_is_one_line(recipe_file):
    _commit_then_move_every_line_down(Path.cwd(), recipe_file)
    result = cfgdiff("explain", "HEAD:alpha", "optimizer.momentun")
    assert result.exit_code == 2
    assert result.stderr == ("cfgdiff: error: HEAD:alpha: no field 'optimizer.momentun' in this config "
                             "(did you mean 'optimizer.momentum'?)\n")
