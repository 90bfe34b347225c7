"""Field paths: joining, splitting and canonical order."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfgdiff import paths
from cfgdiff.limits import LimitError
from cfgdiff.paths import Key


def test_join_spells_attributes_indices_and_keys():
    assert paths.join("", "model") == "model"
    assert paths.join("model", "dim") == "model.dim"
    assert paths.join("layers", 3) == "layers[3]"
    assert paths.join("evalers", Key("eval")) == "evalers['eval']"


def test_split_is_the_inverse_of_join():
    assert paths.split("evalers['eval'].mesh[0][1].dim") == ["evalers", Key("eval"), "mesh", 0, 1, "dim"]


def test_split_reads_tuple_keys_as_literals():
    (_, _, key) = paths.split("x.rank_to_partition[(None, 1)]")
    assert key.key == (None, 1) and key.text == "(None, 1)"


@pytest.mark.parametrize("bad", ["", ".a", "a..b", "a b", "decoder/emb"])
def test_split_refuses_text_that_is_not_a_path(bad):
    with pytest.raises(ValueError):
        paths.split(bad)


def test_sort_key_orders_indices_numerically():
    assert sorted(["a[10]", "a[2]", "a[1].b"], key=paths.sort_key) == ["a[1].b", "a[2]", "a[10]"]


def test_sort_key_orders_segment_by_segment():
    # Plain string order would put 'a_b' before 'a.x' ('.' < '_' only by accident of ASCII).
    assert sorted(["a_b", "a.x", "a.b.c"], key=paths.sort_key) == ["a.b.c", "a.x", "a_b"]


def test_int_dict_keys_sort_like_the_indices_they_look_like():
    assert paths.segment_sort_key(Key(2)) == paths.segment_sort_key(2)


def test_paths_that_do_not_split_sort_after_as_text():
    assert sorted(["b/c", "a"], key=paths.sort_key) == ["a", "b/c"]


def test_a_key_holding_the_line_separator_is_written_escaped():
    assert Key("a: b").text == "'a\\x3a b'"
    assert paths.split("x['a\\x3a b']") == ["x", Key("a: b", "'a\\x3a b'")]


def test_an_unhashable_literal_key_is_not_a_path():
    with pytest.raises(ValueError, match=r"\{\} cannot be a dict key"):
        paths.split("x[{}]")


def test_a_key_the_parser_cannot_nest_is_kept_as_text():
    text = "-" * 100_000 + "1"
    assert paths.split(f"a[{text}]") == ["a", Key(text, text)]


def test_a_path_with_more_segments_than_the_limit_is_refused():
    with pytest.raises(LimitError, match="more than 100 segments"):
        paths.split(".".join(["a"] * 101))


def test_sort_key_agrees_with_splitting_for_paths_with_and_without_quoted_keys():
    some = ["a[10].b", "a[2]", "a.b_c", "a_b", "a['k'].x", "a[(1, 2)]", "b", "a.b[0][1]", "a.b[0]",
            "a['k.z'].y", "a['k'][0]", "a['k']", "a['it\\'s'].c", "a[''].b", "a[\"q\"]", "a['k'].y"]
    assert sorted(some, key=paths.sort_key) == sorted(some, key=lambda p: [paths.segment_sort_key(s) for s in paths.split(p)])


def test_sort_key_of_a_path_past_the_depth_limit_is_its_text():
    deep = ".".join(["a"] * 5000)
    assert paths.sort_key(deep) == ((3, deep),)


# -- sorted_paths: the batch sort agrees with sort_key ---------------------------------

_plain_pieces = (
    st.sampled_from(["a", "b", "a_b", "aZ", "Z", "a0", "_x", "layers"])
    | st.integers(-(10**4), 10**6).map(lambda i: f"[{i}]")
    | st.sampled_from(["['k']", "['']", "['k z']", "[True]", "['a\\x3a b']"])
)
_odd_pieces = st.sampled_from(["['k.z']", '["q"]', "[(1, 2)]", "[01]", "['it\\'s']", "[-x]", "/p", "[\x01]", ".", "[]",
                               f"[-{'9' * 70}]", "é"])


def _path(pieces: list[str]) -> str:
    return "".join(p if p[0] in "[/." or i == 0 else "." + p for i, p in enumerate(pieces))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_plain_pieces, min_size=1, max_size=5).map(_path), max_size=60))
def test_sorted_paths_orders_plain_paths_as_sort_key_does(written):
    assert paths.sorted_paths(written) == sorted(written, key=paths.sort_key)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_plain_pieces | _odd_pieces, min_size=1, max_size=5).map(_path), max_size=30))
def test_sorted_paths_orders_any_paths_as_sort_key_does(written):
    assert paths.sorted_paths(written) == sorted(written, key=paths.sort_key)


def test_sorted_paths_keeps_text_in_canonical_order_as_it_is():
    written = [f"layers[{i}].{name}" for i in range(120) for name in ("attention.dim", "eps", "mlp[0]", "mlp[10]", "mlp[9]")]
    ordered = sorted(written, key=paths.sort_key)
    assert paths.sorted_paths(written) == ordered
    assert paths.sorted_paths(ordered) == ordered
