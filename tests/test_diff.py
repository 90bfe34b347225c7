"""The diff engine: per-field changes, target groups, moves, filters, real AXLearn pairs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cfgdiff.canonical import ParseError, Raw, Symbol, dumps, loads
from cfgdiff.config import Config
from hypothesis import given
from hypothesis import strategies as st

from cfgdiff.diff import Added, Changed, Diff, Node, Removed, Text, diff, element_diff, path_filter
from cfgdiff.lines import only, prefixes

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "axlearn"


def text(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


def rules(*items: tuple[str, int]) -> str:
    """A list of three-field nodes, like AXLearn's mesh rules."""
    return "".join(
        f"rules[{i}].klass: m.Rule\nrules[{i}].name: {name!r}\nrules[{i}].size: {size}\n" for i, (name, size) in enumerate(items)
    )


# -- fields ----------------------------------------------------------------------------


def test_identical_configs_have_no_diff():
    d = diff(text("a: 1", "b.c: 'x'"), text("b.c: 'x'", "a: 1"))
    assert not d
    assert d.unchanged == 2
    assert d.summary() == "0 changed, 0 added, 0 removed (2 unchanged)"


def test_a_changed_value_is_reported_with_old_and_new():
    d = diff(text("a: 1", "b: 2"), text("a: 1", "b: 3"))
    assert d.changed == [Changed("b", 2, 3)]
    assert d.unchanged == 1


def test_added_and_removed_fields():
    d = diff(text("a: 1", "gone: True"), text("a: 1", "new: None"))
    assert d.added == [Added("new", None)]
    assert d.removed == [Removed("gone", True)]


@pytest.mark.parametrize("old, new", [("1", "'1'"), ("1", "1.0"), ("1", "True"), ("x.y", "'x.y'"), ("[]", "()"), ("None", "[]")])
def test_comparison_is_type_strict(old, new):
    d = diff(f"v: {old}\n", f"v: {new}\n")
    assert len(d.changed) == 1
    assert type(d.changed[0].old) is not type(d.changed[0].new)


def test_the_type_note_names_both_types():
    assert diff("v: 1\n", "v: '1'\n").changed[0].type_note == "int -> str"
    assert diff("v: jax.numpy.float32\n", "v: 'jax.numpy.float32'\n").changed[0].type_note == "symbol -> str"
    assert diff("v: 1\n", "v: 2\n").changed[0].type_note == ""


def test_texts_spelling_the_same_value_are_not_a_change():
    d = diff(text("s: 'a'", "f: 1e-08", "l: [1,2]"), text('s: "a"', "f: 1e-8", "l: [1, 2]"))
    assert not d
    assert d.unchanged == 3


def test_nan_equals_nan():
    assert not diff("x: nan\n", "x: nan\n")
    assert math.isnan(diff("x: nan\n", "x: 1.0\n").changed[0].old)


def test_summary_counts_with_thousands_separators_and_moves():
    d = Diff(changed=[Changed("a", 1, 2)] * 3, added=[Added("b", 1)] * 2, removed=[Removed("c", 1)], unchanged=44_994)
    assert d.summary() == "3 changed, 2 added, 1 removed (44,994 unchanged)"


# -- inputs ----------------------------------------------------------------------------


def _model(a=1, b=2):
    return a + b


def test_flat_configs_text_files_and_config_trees_all_compare(tmp_path):
    file = tmp_path / "old.txt"
    file.write_text(dumps(Config(_model, a=1, b=2)))
    tree = Config(_model, a=1, b=5)
    assert diff(file, tree).changed == [Changed("b", 2, 5)]
    assert diff(loads(file.read_text()), dumps(tree)).changed == [Changed("b", 2, 5)]
    assert diff(file, loads(dumps(tree))).changed == [Changed("b", 2, 5)]


def test_text_sources_label_the_diff():
    d = diff(Text("a: 1\n", "old.txt"), Text("a: 2\n", "HEAD:new.txt"))
    assert (d.old_source, d.new_source) == ("old.txt", "HEAD:new.txt")


def test_comments_and_blank_lines_are_not_fields():
    assert not diff(text("# header", "", "a: 1"), text("a: 1", "# other", ""))


def test_axlearn_empty_value_line_reads_as_raw_empty_text():
    assert diff("a:\n", "a: 1\n").changed == [Changed("a", Raw(""), 1)]


def test_a_line_without_separator_is_an_error_with_file_and_line():
    with pytest.raises(ParseError, match=r"^bad.txt:2: expected 'path: value'"):
        diff(Text("a: 1\nnonsense\n", "bad.txt"), "a: 1\n")


def test_a_path_given_twice_is_an_error_even_when_only_one_line_differs():
    with pytest.raises(ParseError, match=r"^dup.txt:2: field 'a' appears twice"):
        diff(Text("a: 1\na: 2\nb: 1\n", "dup.txt"), "a: 1\nb: 2\n")


# -- target groups ---------------------------------------------------------------------


def test_a_changed_klass_groups_the_fields_under_its_node():
    old = text("attn.klass: m.MultiheadAttention", "attn.heads: 32", "attn.dropout: 0.1", "attn.dim: 4096", "other: 1")
    new = text("attn.klass: m.GroupedQueryAttention", "attn.heads: 32", "attn.kv_heads: 8", "attn.dim: 2048", "other: 2")
    d = diff(old, new)
    (group,) = d.groups
    assert (group.kind, group.path) == ("target", "attn")
    assert (group.old, group.new) == (Symbol("m.MultiheadAttention"), Symbol("m.GroupedQueryAttention"))
    assert {f.path for f in group.fields} == {"attn.klass", "attn.kv_heads", "attn.dropout", "attn.dim"}
    assert [type(e).__name__ for e in d.entries()] == ["Group", "Changed"]


def test_a_changed_fn_groups_too_and_inner_groups_join_the_outer_one():
    old = text("opt.fn: optax.adam", "opt.b1: 0.9", "opt.sched.fn: m.cosine", "opt.sched.warmup: 10")
    new = text("opt.fn: optax.sgd", "opt.momentum: 0.9", "opt.sched.fn: m.linear", "opt.sched.warmup: 20")
    (group,) = diff(old, new).groups
    assert group.path == "opt"
    assert len(group.fields) == 5


def test_a_klass_change_alone_is_one_changed_field():
    d = diff(text("conv.klass: 'a.layers.Conv2D'", "conv.dim: 3"), text("conv.klass: 'a.convolution.Conv2D'", "conv.dim: 3"))
    assert d.groups == []
    assert d.changed == [Changed("conv.klass", "a.layers.Conv2D", "a.convolution.Conv2D")]


def test_a_node_added_whole_is_one_group_with_its_target():
    d = diff(text("a: 1"), text("a: 1", "rope.klass: m.Rope", "rope.theta: 10000.0"))
    (group,) = d.groups
    assert (group.kind, group.path, group.old, group.new) == ("added", "rope", None, Node(Symbol("m.Rope"), 2))


def test_a_leaf_that_became_a_node_is_one_replaced_group():
    old = text("policy.fn: m.offload", "policy.dst: 'host'", "x: 1")
    new = text("policy: 'm.offload_policy'", "x: 1")
    (group,) = diff(old, new).groups
    assert (group.kind, group.path) == ("replaced", "policy")
    assert group.old == Node(Symbol("m.offload"), 2)
    assert group.new == "m.offload_policy"


# -- moves -----------------------------------------------------------------------------


def test_an_insertion_in_a_list_is_one_added_item_and_moves():
    d = diff(rules(("a", 1), ("b", 2)), rules(("x", 9), ("a", 1), ("b", 2)))
    assert [(m.old_path, m.new_path) for m in d.moved] == [("rules[0]", "rules[1]"), ("rules[1]", "rules[2]")]
    assert all(not m.diff for m in d.moved)
    assert d.groups[0].kind == "added" and d.groups[0].path == "rules[0]"
    assert d.summary() == "0 changed, 3 added, 0 removed, 2 moved (0 unchanged)"


def test_swapped_items_are_two_moves():
    d = diff(rules(("a", 1), ("b", 2)), rules(("b", 2), ("a", 1)))
    assert sorted((m.old_path, m.new_path) for m in d.moved) == [("rules[0]", "rules[1]"), ("rules[1]", "rules[0]")]
    assert not d.changed and not d.added and not d.removed


def test_a_moved_item_reports_the_differences_inside_it():
    d = diff(rules(("a", 1), ("b", 2), ("c", 3)), rules(("x", 9), ("a", 1), ("b", 2), ("c", 4)))
    moved = {m.old_path: m for m in d.moved}
    assert moved["rules[2]"].new_path == "rules[3]"
    assert moved["rules[2]"].diff.changed == [Changed(".size", 3, 4)]
    assert d.counts()["changed"] == 1


def test_an_item_changed_in_place_is_not_a_move():
    d = diff(rules(("a", 1), ("b", 2), ("c", 3)), rules(("a", 1), ("b", 5), ("c", 3)))
    assert d.moved == []
    assert d.changed == [Changed("rules[1].size", 2, 5)]


def test_a_renamed_subtree_is_one_move():
    old = text("model.attn.klass: m.Attn", "model.attn.heads: 8", "model.attn.dim: 64", "model.x: 1")
    new = text("model.attention.klass: m.Attn", "model.attention.heads: 8", "model.attention.dim: 64", "model.x: 1")
    (move,) = diff(old, new).moved
    assert (move.old_path, move.new_path, move.size) == ("model.attn", "model.attention", 3)


def test_a_renamed_leaf_is_not_a_move():
    d = diff(text("dropout: 0.1"), text("eps: 0.1"))
    assert d.moved == [] and len(d.added) == len(d.removed) == 1


def test_a_field_left_behind_by_a_move_is_added_even_when_its_text_is_unchanged():
    # The old item at [0] moved to [1]; the new [0] shares one line with it by chance.
    old = rules(("a", 1))
    new = "rules[0].klass: m.Rule\nrules[0].name: 'x'\nrules[0].size: 7\n" + rules(("b", 0), ("a", 1)).split("\n", 3)[3]
    d = diff(old, new)
    assert [(m.old_path, m.new_path) for m in d.moved] == [("rules[0]", "rules[1]")]
    assert {f.path for f in d.added} == {"rules[0].klass", "rules[0].name", "rules[0].size"}
    assert d.unchanged == 0


def test_the_real_mesh_rule_insertion_reads_as_two_added_items_and_one_move():
    old, new = _corpus("fuji-7B-v2@5f38aa16"), _corpus("fuji-7B-v2@49aea2a4")
    d = diff(old, new)
    assert [(m.old_path, m.new_path, m.size, bool(m.diff)) for m in d.moved] == [("mesh_rules[7]", "mesh_rules[9]", 96, False)]
    assert [(g.kind, g.path) for g in d.groups] == [("added", "mesh_rules[7]"), ("added", "mesh_rules[8]")]
    assert [c.path for c in d.changed] == ["mesh_rules[6][0]"]
    assert d.summary() == "1 changed, 21 added, 0 removed, 1 moved (351 unchanged)"


# -- filters ---------------------------------------------------------------------------


def test_ignore_drops_matching_paths_and_whole_subtrees():
    old = text("a.seed: 1", "a.lr: 0.1", "log.dir: '/tmp/a'", "log.every: 10")
    new = text("a.seed: 2", "a.lr: 0.2", "log.dir: '/tmp/b'", "log.every: 10")
    d = diff(old, new, ignore=["*.seed", "log"])
    assert [c.path for c in d.changed] == ["a.lr"]
    assert d.unchanged == 0


def test_ignore_globs_treat_brackets_literally():
    keep = path_filter(ignore=["evalers['eval'].*"])
    assert not keep("evalers['eval'].input.batch")
    assert keep("evalers['train'].input.batch")


def test_every_ignore_glob_matches_whole_segments_not_only_the_last():
    keep = path_filter(ignore=["model.dim", "log"])
    assert keep("model.dimension") and keep("logits")
    assert not keep("model.dim") and not keep("log.dir")


def test_only_that_selects_nothing_is_an_error_not_a_silent_match():
    with pytest.raises(ValueError, match=r"^--only 'modle': neither config has a field under it$"):
        diff("model.dim: 1\n", "model.dim: 2\n", only="modle")


def test_only_keeps_one_subtree_at_a_segment_boundary():
    old = text("model.dim: 1", "model_dir: 'a'", "model.x[0]: 1", "other: 1")
    new = text("model.dim: 2", "model_dir: 'b'", "model.x[0]: 2", "other: 2")
    d = diff(old, new, only="model")
    assert [c.path for c in d.changed] == ["model.dim", "model.x[0]"]


# -- the line merge behind the file fast path ------------------------------------------


@given(st.sets(st.text("abc: ", max_size=4), max_size=600), st.sets(st.text("abc: ", max_size=4), max_size=600))
def test_the_sorted_merge_finds_exactly_the_lines_only_one_side_has(old, new):
    only_old, only_new = only(sorted(old), sorted(new))
    assert only_old == sorted(old - new)
    assert only_new == sorted(new - old)


# -- bookkeeping, whatever the edit -----------------------------------------------------

_ITEMS = st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 3)), max_size=6)


@given(_ITEMS, _ITEMS, st.booleans())
def test_every_field_is_accounted_for_exactly_once(old_items, new_items, extra):
    """Unchanged + changed + added/removed + moved fields add up to each side's size,
    and every line only one side has is reported (moves included)."""
    old = rules(*[(n, s) for n, s in old_items]) + ("x: 1\n" if extra else "")
    new = rules(*[(n, s) for n, s in new_items]) + "x: 1\n"
    d = diff(old, new)
    old_paths = [line.partition(": ")[0] for line in old.splitlines()]
    new_paths = [line.partition(": ")[0] for line in new.splitlines()]

    def under(paths_: list[str], prefix: str) -> int:
        return sum(1 for p in paths_ if p == prefix or p.startswith(prefix + ".") or p.startswith(prefix + "["))

    assert d.unchanged + len(d.changed) + len(d.added) + sum(m.size for m in d.moved) == len(new_paths)
    assert d.unchanged + len(d.changed) + len(d.removed) + sum(under(old_paths, m.old_path) for m in d.moved) == len(old_paths)
    only_old = set(old.splitlines()) - set(new.splitlines())
    only_new = set(new.splitlines()) - set(old.splitlines())
    reported_old, reported_new = _reported(d)
    assert all(_covered(line.partition(": ")[0], reported_old) for line in only_old)
    assert all(_covered(line.partition(": ")[0], reported_new) for line in only_new)


# -- structure helpers and element detail ----------------------------------------------


def test_prefixes_respect_quoted_dict_keys():
    assert prefixes("a.b['x.y[0]'].c[2]") == ["a", "a.b", "a.b['x.y[0]']", "a.b['x.y[0]'].c"]
    assert prefixes("decoder/emb/weight") == ["decoder", "decoder/emb"]


def test_element_diff_shows_what_changed_inside_a_list_value():
    inner = element_diff([1, 2, 3], [1, 5, 3])
    assert inner.changed == [Changed("[1]", 2, 5)]
    assert element_diff(1, 2) is None


# -- real AXLearn pairs against a line-level comparison --------------------------------


def _corpus(name: str) -> Text:
    if not CORPUS.is_dir():
        pytest.skip("the AXLearn corpus (../shared/corpus/axlearn) is not here")
    path = CORPUS / f"{name}.txt"
    return Text(path.read_text(encoding="utf-8"), path.name)


def _lines(t: Text) -> set[str]:
    return {line for line in t.text.splitlines() if line and not line.startswith("#")}


def _reported(d: Diff, old_base: str = "", new_base: str = "") -> tuple[set[str], set[str]]:
    """Paths the diff says differ: (on the old side, on the new side)."""
    old = {old_base + f.path for f in (*d.changed, *d.removed)}
    new = {new_base + f.path for f in (*d.changed, *d.added)}
    for m in d.moved:
        old.add(old_base + m.old_path)
        new.add(new_base + m.new_path)
    return old, new


def _covered(path: str, reported: set[str]) -> bool:
    return any(path == r or path.startswith(r + ".") or path.startswith(r + "[") for r in reported)


@pytest.mark.parametrize(
    "old, new",
    [
        ("fuji-7B-v2@5f38aa16", "fuji-7B-v2@49aea2a4"),
        ("fuji-7B-v2@54377057", "fuji-7B-v2@32d781bd"),
        ("fuji-7B-v2@dc4aab8c", "fuji-7B-v2@1946b789"),
        ("fuji-7B-v2@34aed43c", "fuji-7B-v2-single-host@34aed43c"),
        ("fuji-7B-v2@49aea2a4", "fuji-7B-v2@001d9f56"),
        ("LogisticRegression@06183943", "LogisticRegression@9e1e3f8b"),
        ("ResNet-18@a4d1b1c6", "ResNet-18@20568572"),
    ],
)
def test_real_golden_pairs_report_exactly_the_lines_that_differ(old, new):
    a, b = _corpus(old), _corpus(new)
    d = diff(a, b)
    only_old = {line.partition(": ")[0] for line in _lines(a) - _lines(b)}
    only_new = {line.partition(": ")[0] for line in _lines(b) - _lines(a)}
    reported_old, reported_new = _reported(d)
    # Every line that differs is reported (inside a move at worst) ...
    assert all(_covered(p, reported_old) for p in only_old)
    assert all(_covered(p, reported_new) for p in only_new)
    # ... and every reported field stands on a line that differs, or moved.
    assert {f.path for f in (*d.changed, *d.removed)} <= only_old | {p for m in d.moved for p in only_new}
    assert {f.path for f in d.changed} <= only_new
    fields = len(_lines(b))
    assert d.unchanged + len(d.changed) + len(d.added) + sum(m.size for m in d.moved) == fields


def test_sibling_recipes_show_the_batch_size_bug():
    d = diff(_corpus("fuji-7B-v2@34aed43c"), _corpus("fuji-7B-v2-single-host@34aed43c"))
    assert {(c.old, c.new) for c in d.changed} == {(1024, 8)}  # 128x, where 32x was meant


def test_a_jax_repr_change_reads_as_two_replaced_nodes():
    d = diff(_corpus("fuji-7B-v2@54377057"), _corpus("fuji-7B-v2@32d781bd"))
    assert [g.kind for g in d.groups] == ["replaced", "replaced"]
    assert d.groups[0].new == Raw("PartitionSpec(('data', 'expert', 'fsdp'),)")
