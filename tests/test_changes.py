"""One change model: shared changes are Diff entries, said once, moves included."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cfgdiff.changes import RecipeChange, name_list, share
from cfgdiff.cli import main
from cfgdiff.diff import diff, entry_key
from cfgdiff.golden import update
from cfgdiff.registry import discover
from tests.conftest import forget_recipe_modules, git

# Two recipes share a list of four sub-configs; the change inserts one at the front.
LAYERS = '''
import cfgdiff
from cfgdiff import Config


def layer(dim=8):
    return dim


def model(layers, width=1):
    return layers


def base(width):
    return Config(model, layers=[Config(layer, dim=d) for d in DIMS], width=width)


DIMS = [1, 2, 3, 4]


@cfgdiff.recipe
def small():
    return base(1)


@cfgdiff.recipe
def large():
    return base(2)
'''


def _recipes(**pairs):
    return [RecipeChange(name, "differs", f"recipe {name}", diff=diff(old, new)) for name, (old, new) in pairs.items()]


def test_an_entry_in_several_diffs_is_shared_once_and_left_out_of_each_recipes_own():
    recipes = _recipes(a=("x: 1\ny: 2\n", "x: 2\ny: 2\nz: 0\n"), b=("x: 1\n", "x: 2\n"))
    shared = share(recipes)
    assert [(s.recipes, [f.path for f in s.diff.changed]) for s in shared] == [(("a", "b"), ["x"])]
    a, b = recipes
    assert [f.path for f in a.own.added] == ["z"] and not a.own.changed
    assert b.only_shared and not a.only_shared


def test_a_field_changed_differently_is_not_shared():
    recipes = _recipes(a=("x: 1\n", "x: 2\n"), b=("x: 1\n", "x: 3\n"))
    assert share(recipes) == []
    assert all(r.own is r.diff for r in recipes)


def test_entries_are_grouped_by_the_exact_set_of_recipes_that_have_them():
    recipes = _recipes(a=("x: 1\ny: 1\n", "x: 2\ny: 2\n"), b=("x: 1\ny: 1\n", "x: 2\ny: 2\n"), c=("x: 1\n", "x: 2\n"))
    shared = share(recipes)
    assert [(s.recipes, sorted(f.path for f in s.diff.changed)) for s in shared] == [(("a", "b", "c"), ["x"]), (("a", "b"), ["y"])]
    assert all(r.only_shared for r in recipes)


def test_entry_keys_are_equal_for_the_same_change_in_different_configs():
    one = diff("l[0].a: 1\nl[0].b: 2\n", "l[0].a: 9\nl[0].b: 9\nl[1].a: 1\nl[1].b: 2\n").entries()
    two = diff("l[0].a: 1\nl[0].b: 2\nq: 0\n", "l[0].a: 9\nl[0].b: 9\nl[1].a: 1\nl[1].b: 2\nq: 0\n").entries()
    assert [entry_key(e) for e in one] == [entry_key(e) for e in two]
    # Type-strict, like the diff itself: 1 -> 2 and 1 -> 2.0 are different changes.
    assert entry_key(diff("a: 1\n", "a: 2\n").entries()[0]) != entry_key(diff("a: 1\n", "a: 2.0\n").entries()[0])


def test_without_drops_a_group_with_its_fields():
    d = diff("a: 1\n", "a: 2\nn.fn: f\nn.x: 1\n")
    group = next(e for e in d.entries() if e.path == "n")
    rest = d.without({entry_key(group)})
    assert [e.path for e in rest.entries()] == ["a"] and rest.counts()["added"] == 0


def test_name_list_is_shortened_for_many_recipes():
    names = [f"r{i}" for i in range(14)]
    assert name_list(names) == "r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, ... (4 more)"


def _insert_a_layer(root):
    init = next(root.glob("recipes_*/__init__.py"))
    init.write_text(init.read_text().replace("DIMS = [1, 2, 3, 4]", "DIMS = [0, 1, 2, 3, 4]"))
    forget_recipe_modules()


def test_a_shared_list_insertion_is_one_shared_entry_in_golden_check(project):
    root = project({"PKG/__init__.py": LAYERS})
    update(discover())
    _insert_a_layer(root)
    result = CliRunner().invoke(main, ["golden", "check"])
    assert result.exit_code == 1
    assert result.output.startswith("Shared by 2 recipes (large, small): 2 added, 4 moved\n")
    assert "> layers[0] -> layers[1]" in result.output and "~ layers" not in result.output
    assert "2 recipes differ only by the shared changes above: large, small" in result.output
    document = json.loads(CliRunner().invoke(main, ["golden", "check", "--format", "json"]).output)
    assert [(s["recipes"], s["diff"]["summary"]["moved"]) for s in document["shared"]] == [(["large", "small"], 4)]


def test_a_shared_list_insertion_is_one_shared_entry_in_review(project):
    root = project({"PKG/__init__.py": LAYERS})
    git(root, "init", "-q")
    update(discover())
    git(root, "add", ".")
    git(root, "commit", "-qm", "recipes")
    _insert_a_layer(root)
    result = CliRunner().invoke(main, ["review", "--base", "HEAD"])
    assert result.exit_code == 0, result.output
    assert "Shared by 2 recipes (large, small): 2 added, 4 moved" in result.output
    assert result.output.count("layers[0] -> layers[1]") == 1
    markdown = CliRunner().invoke(main, ["review", "--base", "HEAD", "--format", "markdown"]).output
    assert markdown.count("layers[0] -> layers[1]") == 1 and "~ layers" not in markdown


def test_a_shared_list_insertion_fails_the_plugin_test_as_moves(pytester):
    from tests.conftest import write_project

    write_project(pytester.path, {"PKG/__init__.py": LAYERS})
    update(discover(pytester.path))
    _insert_a_layer(pytester.path)
    result = pytester.runpytest("pyproject.toml", "-k", "small")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*recipe small differs from golden_configs/small.txt: 0 changed, 2 added, 0 removed, 4 moved*"])
