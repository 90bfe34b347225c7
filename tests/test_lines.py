"""Reading canonical lines for a diff: cheap, yet every line is checked (issue 11)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfgdiff import lines
from cfgdiff.canonical import ParseError
from cfgdiff.diff import Text, diff
from cfgdiff.lines import Lines

GOOD = "a: 1\nb.c[0]: 'x'\nd['k']: None\n"


def test_well_formed_text_is_read_on_the_fast_path():
    assert Lines.from_text(GOOD, "f.txt").lines == ["a: 1", "b.c[0]: 'x'", "d['k']: None"]


@pytest.mark.parametrize("bad, message", [
    ("a: 1\nb\n", "f.txt:2: expected 'path: value'"),
    ("a: 1\na: 2\n", "f.txt:2: field 'a' appears twice"),
    ("x[{}]: 1\n", r"f.txt:1: not a field path"),
    ("x: " + "1" * 4301 + "\n", "f.txt:1: x: an integer of more than 4,300 digits"),
    (".".join(["a"] * 101) + ": 1\n", "f.txt:1: field path"),
])
def test_a_config_compared_with_itself_is_still_checked(bad, message):
    with pytest.raises(ParseError, match=message):
        diff(Text(bad, "f.txt"), Text(bad, "f.txt"))


def test_section_lines_scope_paths_in_a_diff():
    old = "=====a=====\nw: 1\n=====b=====\nw: 1\n"
    new = "=====a=====\nw: 1\n=====b=====\nw: 2\n"
    result = diff(Text(old, "old"), Text(new, "new"))
    assert [entry.path for entry in result.changed] == ["['b']/w"]


# -- two texts read together: the chunks they share ----------------------------------

LINES = st.lists(
    st.tuples(st.text(alphabet="ab.[]0", min_size=1, max_size=4), st.integers(0, 3)), max_size=40
).map(lambda fields: [f"k{path}: {value}" for path, value in dict(fields).items()])


@st.composite
def two_versions(draw: st.DrawFn) -> tuple[str, str]:
    """Two texts of unique ``path: value`` lines: one, and an edit of it (values changed,
    lines added, removed or moved, comments and blank lines, a missing final newline)."""
    old = draw(LINES)
    if draw(st.booleans()):
        old.sort()
    new = list(old)
    for edit in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["change", "remove", "insert", "move", "comment"]))
        at = draw(st.integers(0, len(new)))
        if kind == "change" and at < len(new) and ": " in new[at]:
            new[at] = new[at] + "9"
        elif kind == "remove" and at < len(new):
            del new[at]
        elif kind == "insert":
            new.insert(at, f"new{edit}: 1")
        elif kind == "move" and at < len(new):
            new.insert(draw(st.integers(0, len(new))), new.pop(at))
        elif kind == "comment":
            new.insert(at, draw(st.sampled_from(["# note", ""])))
    end = lambda: "\n" if draw(st.booleans()) else ""  # noqa: E731
    return "\n".join(old) + end(), "\n".join(new) + end()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=two_versions(), chunk=st.integers(1, 60), scans=st.integers(0, 3))
def test_sides_read_together_hold_what_each_holds_alone(texts, chunk, scans, monkeypatch):
    """Whatever the chunks found in common, each side's lines, the lines only one side has
    and every lookup are those of the side read on its own."""
    monkeypatch.setattr(lines, "_CHUNK", chunk)
    monkeypatch.setattr(lines, "_MAX_SCANS", scans)
    old_text, new_text = texts
    old, new = lines.pair(Text(old_text, "old"), Text(new_text, "new"))
    alone_old, alone_new = Lines.from_text(old_text, "old"), Lines.from_text(new_text, "new")
    assert old.lines == alone_old.lines and new.lines == alone_new.lines
    assert len(old) == len(alone_old) and len(new) == len(alone_new)
    assert lines.differing(old, new) == lines.only(alone_old.lines, alone_new.lines)
    for side, alone in ((old, alone_old), (new, alone_new)):
        for line in alone.lines:
            path = lines.path_of(line)
            assert side.count_path(path) == 1 and side.text_at(path) == alone.text_at(path)
            for prefix in [*lines.prefixes(path), path]:
                assert side.range(prefix) == alone.range(prefix) and side.size(prefix) == alone.size(prefix)


def test_versions_of_a_large_config_share_all_but_the_lines_around_a_change():
    old = "".join(f"layers[{i}].dim: {i}\n" for i in range(20_000))
    new = old.replace("layers[7000].dim: 7000\n", "layers[7000].dim: 1\n").replace("layers[19000].dim: 19000\n", "")
    old_side, new_side = lines.pair(Text(old, "old"), Text(new, "new"))
    assert old_side.shared is new_side.shared and len(old_side.shared) == 19_998
    assert old_side.own == ["layers[19000].dim: 19000", "layers[7000].dim: 7000"]
    assert new_side.own == ["layers[7000].dim: 1"]


def test_sides_that_are_not_both_plain_text_are_read_apart():
    old, new = lines.pair(Text("a: 1\n", "old"), Text("a: 'é'\n", "new"))
    assert old.shared is None and new.lines == ["a: 'é'"]
