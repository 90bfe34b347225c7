"""Rendering a diff: terminal text, --stat and JSON for programs (markdown: test_render_markdown.py)."""

from __future__ import annotations

import json

from cfgdiff.canonical import Raw, Symbol
from cfgdiff.diff import Text, diff
from cfgdiff.render import (
    highlight_canonical,
    json_value,
    render_json,
    render_stat,
    render_text,
)


def rules(*items: tuple[str, int]) -> str:
    return "".join(f"rules[{i}].klass: m.Rule\nrules[{i}].name: {n!r}\nrules[{i}].size: {s}\n" for i, (n, s) in enumerate(items))


# -- text ------------------------------------------------------------------------------


def test_text_groups_by_top_level_subtree_and_ends_with_the_tally():
    d = diff("a.x: 1\na.y: 2\nb: 3\n", "a.x: 1\na.y: 5\nc: None\n")
    assert render_text(d) == (
        "# a (1 changed)\n"
        "  ~ a.y: 2 -> 5\n"
        "# b (1 removed)\n"
        "  - b: 3\n"
        "# c (1 added)\n"
        "  + c: None\n"
        "1 changed, 1 added, 1 removed (1 unchanged)\n"
    )


def test_text_makes_a_type_change_visible():
    assert "~ v: 1 -> '1'  (int -> str)" in render_text(diff("v: 1\n", "v: '1'\n"))
    assert "~ v: 1 -> True  (int -> bool)" in render_text(diff("v: 1\n", "v: True\n"))


def test_text_puts_long_values_on_lines_of_their_own():
    old, new = "'" + "a" * 70 + "'", "'" + "b" * 70 + "'"
    assert f"  ~ v:\n      - {old}\n      + {new}\n" in render_text(diff(f"v: {old}\n", f"v: {new}\n"))


def test_text_says_no_differences_when_there_are_none():
    assert render_text(diff("a: 1\n", "a: 1\n")) == "no differences (1 field)\n"


def test_text_shows_a_target_change_as_one_entry_with_its_fields():
    old = "attn.klass: m.MHA\nattn.heads: 32\nattn.dropout: 0.1\n"
    new = "attn.klass: m.GQA\nattn.heads: 8\nattn.kv_heads: 8\n"
    assert render_text(diff(old, new)).splitlines()[1:5] == [
        "  ~ attn: m.MHA -> m.GQA  (target changed; 1 changed, 1 added, 1 removed)",
        "      - .dropout: 0.1",
        "      ~ .heads: 32 -> 8",
        "      + .kv_heads: 8",
    ]


def test_text_shows_moves_with_the_differences_inside_them():
    out = render_text(diff(rules(("a", 1), ("b", 2)), rules(("x", 9), ("a", 1), ("b", 3))))
    assert "  + rules[0]: m.Rule  (3 fields)\n      + .klass: m.Rule\n" in out
    assert "  > rules[0] -> rules[1]  (m.Rule, 3 fields, unchanged)\n" in out
    assert "  > rules[1] -> rules[2]  (m.Rule, 3 fields; 1 changed)\n      ~ .size: 2 -> 3\n" in out
    assert out.endswith("1 changed, 3 added, 0 removed, 2 moved (0 unchanged)\n")


def test_text_details_what_changed_inside_a_list_value():
    out = render_text(diff("v: [1, 2, 3]\n", "v: [1, 5, 3]\n"))
    assert "  ~ v: [1, 2, 3] -> [1, 5, 3]\n      ~ [1]: 2 -> 5\n" in out


def test_text_colour_uses_terminal_escapes_only_when_asked():
    d = diff("a: 1\n", "a: 2\n")
    assert "\x1b[" in render_text(d, color=True)
    assert "\x1b[" not in render_text(d, color=False)


# -- stat ------------------------------------------------------------------------------


def test_stat_counts_per_top_level_subtree():
    d = diff("model.a: 1\nmodel.b: 2\nlr: 0.1\n", "model.a: 2\nmodel.c: 2\nlr: 0.2\n")
    assert render_stat(d) == (
        " lr    | 1 ~\n"
        " model | 3 ~+-\n"
        " 2 subtrees: 2 changed, 1 added, 1 removed (0 unchanged)\n"
    )


def test_stat_scales_long_bars():
    d = diff("".join(f"x[{i}]: 1\n" for i in range(100)), "".join(f"x[{i}]: 2\n" for i in range(100)))
    assert render_stat(d, width=40).splitlines()[0] == " x | 100 " + "~" * 40


# -- json ------------------------------------------------------------------------------


def test_json_follows_the_documented_schema():
    data = json.loads(render_json(diff(Text("a: 1\nb: 2\n", "o"), Text("a: 'x'\nc: None\n", "n"))))
    assert data == {
        "version": 1,
        "sources": {"old": "o", "new": "n"},
        "changed": [{"path": "a", "old": 1, "new": "x"}],
        "added": [{"path": "c", "value": None}],
        "removed": [{"path": "b", "value": 2}],
        "moved": [],
        "groups": [],
        "summary": {"changed": 1, "added": 1, "removed": 1, "moved": 0, "unchanged": 0},
    }


def test_json_gives_moves_full_paths_at_both_ends():
    data = json.loads(render_json(diff(rules(("a", 1)), rules(("x", 9), ("a", 2)))))
    (move,) = data["moved"]
    assert (move["from"], move["to"], move["fields"]) == ("rules[0]", "rules[1]", 3)
    assert move["changed"] == [{"path": "rules[1].size", "old": 1, "new": 2}]


def test_json_tags_values_json_cannot_hold():
    assert json_value(Symbol("jax.numpy.bfloat16")) == {"$type": "symbol", "repr": "jax.numpy.bfloat16"}
    assert json_value(Raw("PartitionSpec('data',)")) == {"$type": "raw", "repr": "PartitionSpec('data',)"}
    assert json_value(float("nan")) == {"$type": "float", "repr": "nan"}
    assert json_value(float("-inf")) == {"$type": "float", "repr": "-inf"}
    assert json_value(b"\x00a") == {"$type": "bytes", "repr": "b'\\x00a'"}
    assert json_value((1, "a")) == {"$type": "tuple", "items": [1, "a"]}
    assert json_value({(None, 1): 2}) == {"$type": "dict", "items": [[{"$type": "tuple", "items": [None, 1]}, 2]]}
    assert json_value([1.5, {"k": True}]) == [1.5, {"k": True}]


def test_json_of_real_values_is_strict_json():
    out = render_json(diff("x: nan\ny: b'1'\n", "x: inf\ny: b'2'\n"))
    assert json.loads(out)["changed"][0]["new"] == {"$type": "float", "repr": "inf"}


# -- canonical text ---------------------------------------------------------------------


def test_highlight_canonical_colours_paths_and_values_only_when_asked():
    text = "# header\nmodel.dim: 8\nmodel.name: 'x'\ndtype: jax.numpy.bfloat16\n"
    assert highlight_canonical(text, color=False) == text
    coloured = highlight_canonical(text, color=True)
    assert coloured != text and "\x1b[" in coloured
    assert coloured.count("\n") == text.count("\n")
