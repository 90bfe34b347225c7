"""Reading canonical lines for a diff: cheap, yet every line is checked (issue 11)."""

from __future__ import annotations

import pytest

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
