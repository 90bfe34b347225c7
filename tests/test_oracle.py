"""DeepDiff as an independent oracle for the diff engine.

Random JSON-like trees (nested dicts and lists; keys with dots, colons, spaces) get random
edits of every kind; the leaf paths cfgdiff reports as changed, added or removed, with
moved subtrees expanded to their fields, must be exactly the leaf paths DeepDiff reports
(its reports expanded to leaves the same way). DeepDiff compares lists by index, cfgdiff
matches list items by content; at the level of leaf paths the two must still agree.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cfgdiff import paths
from cfgdiff.canonical import FlatConfig, values_equal
from cfgdiff.diff import diff
from cfgdiff.lines import is_under, prefixes
from cfgdiff.sources import flatten_document

deepdiff = pytest.importorskip("deepdiff", reason="the oracle test needs deepdiff: pip install -e '.[test]'")

KEYS = st.text(alphabet="ab_: .x'", min_size=0, max_size=4)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False).map(lambda x: x + 0.0)  # no -0.0: DeepDiff calls it 0.0
    | st.text(alphabet="ab:' \n", max_size=3)
)
TREES = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)
DOCUMENTS = st.dictionaries(KEYS, TREES, max_size=5)


def _containers(tree: Any, at: tuple = ()) -> list[tuple]:
    """Every dict and list in ``tree``, by the keys leading to it."""
    found = []
    if isinstance(tree, (dict, list)):
        found.append(at)
        items = tree.items() if isinstance(tree, dict) else enumerate(tree)
        for key, item in items:
            found.extend(_containers(item, (*at, key)))
    return found


def _get(tree: Any, at: tuple) -> Any:
    for key in at:
        tree = tree[key]
    return tree


@st.composite
def edited(draw: st.DrawFn) -> tuple[dict, dict]:
    """A document and a copy with 1-4 edits: set, add, delete, insert into or drop from a list."""
    old = draw(DOCUMENTS)
    new = deepdiff_copy(old)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.sampled_from(_containers(new)))
        node = _get(new, at)
        if isinstance(node, dict):
            key = draw(st.sampled_from(sorted(node)) | KEYS) if node else draw(KEYS)
            if key in node and draw(st.booleans()):
                del node[key]
            else:
                node[key] = draw(TREES)
        elif node and draw(st.booleans()):
            i = draw(st.integers(0, len(node) - 1))
            if draw(st.booleans()):
                del node[i]
            else:
                node[i] = draw(TREES)
        else:
            node.insert(draw(st.integers(0, len(node))), draw(TREES))
    return old, new


def deepdiff_copy(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: deepdiff_copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [deepdiff_copy(v) for v in tree]
    return tree


def _path(keys: list) -> str:
    """DeepDiff's list of keys as a cfgdiff path (string keys are dict keys, ints list indices)."""
    path = ""
    for key in keys:
        attribute = isinstance(key, str) and key.isidentifier() and key.isascii()
        path = paths.join(path, key if attribute or isinstance(key, int) else paths.Key(key))
    return path


def _under(flat: FlatConfig, path: str) -> set[str]:
    return {p for p in flat if is_under(p, path)}


def _with_empty_ancestors(found: set[str], old: FlatConfig, new: FlatConfig) -> set[str]:
    """cfgdiff writes an empty container as a field; filling or emptying it changes that field."""
    extra = {a for p in found for a in prefixes(p) if a in old or a in new}
    return found | extra


def deepdiff_paths(old: dict, new: dict, flat_old: FlatConfig, flat_new: FlatConfig) -> set[str]:
    found: set[str] = set()
    # zip_ordered_iterables: lists by index, the ground truth per path (cfgdiff reports moves
    # of matched items, expanded above to the paths they leave and reach); keys starting
    # with '__' are data here, not private attributes; threshold_to_diff_deeper=0: never
    # report a whole dict as changed because most of its keys are.
    tree = deepdiff.DeepDiff(
        old, new, view="tree", zip_ordered_iterables=True, ignore_private_variables=False, threshold_to_diff_deeper=0
    )
    for levels in tree.values():
        for level in levels:
            at = _path(level.path(output_format="list"))
            found |= _under(flat_old, at) | _under(flat_new, at)
    return _with_empty_ancestors(found, flat_old, flat_new)


def cfgdiff_paths(flat_old: FlatConfig, flat_new: FlatConfig) -> set[str]:
    result = diff(flat_old, flat_new)
    found = {f.path for f in (*result.changed, *result.added, *result.removed)}
    for move in result.moved:
        # A move takes its fields from old_path and brings them to new_path.
        found |= _under(flat_old, move.old_path) | _under(flat_new, move.new_path)
    # Matching by content, cfgdiff may say a subtree moved away and an equal field arrived
    # where it stood; by index, DeepDiff sees that field unchanged. Leaf by leaf, a field
    # with the same value at the same path on both sides is no difference for either.
    return {p for p in found if not (p in flat_old and p in flat_new and values_equal(flat_old[p], flat_new[p]))}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited())
# A list item moved on by one, and an equal field arriving where it stood.
@example(pair=({"": [[], [None, None]]}, {"": [None, [None], [None, None]]}))
def test_cfgdiff_reports_the_leaf_paths_deepdiff_reports(pair):
    old, new = pair
    flat_old, flat_new = flatten_document(old), flatten_document(new)
    assert cfgdiff_paths(flat_old, flat_new) == deepdiff_paths(old, new, flat_old, flat_new)


@settings(max_examples=100, deadline=None)
@given(DOCUMENTS)
def test_a_document_compared_with_itself_has_no_differences_for_either(doc):
    flat = flatten_document(doc)
    assert not diff(flat, flatten_document(deepdiff_copy(doc)))
    assert not deepdiff.DeepDiff(doc, deepdiff_copy(doc), ignore_private_variables=False)
