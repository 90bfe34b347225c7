"""The compare table's writers: text, markdown (escaping), csv (read back), json (parsed)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from cfgdiff.canonical import Text
from cfgdiff.compare import Column, Comparison, Row, compare
from cfgdiff.render.table import (
    CELL_WIDTH,
    render_table_csv,
    render_table_json,
    render_table_markdown,
    render_table_text,
)
from cfgdiff.runs import Outcome

A = "lr: 0.1\nmodel.dim: 8\nname: 'base'\nsteps: 10\n"
B = "lr: 0.2\nmodel.dim: 8\nname: 'base'\nsteps: 10\n"
C = "lr: 0.1\nmodel.dim: 16\nsteps: 10\n"


@pytest.fixture
def three() -> Comparison:
    return compare([A, B, C], ["a", "b", "c"])


@pytest.fixture
def with_baseline() -> Comparison:
    return compare([A, B, C], ["base", "b", "c"], baseline=True)


@pytest.fixture
def runs() -> Comparison:
    c = compare([A, B], ["run1", "run2"])
    c.columns = [
        Column("run1", "runs/run1/config.txt", Outcome("runs/run1", final_loss=2.5, steps=10, tokens_per_s=52040.0)),
        Column("run2", "runs/run2/config.txt", Outcome("runs/run2", notes=("no metrics.jsonl",))),
    ]
    return c


# -- text -------------------------------------------------------------------------------


def test_text_is_a_column_per_config_and_a_row_per_differing_field(three):
    assert render_table_text(three) == (
        "path       a       b       c\n"
        "lr         0.1     0.2     0.1\n"
        "model.dim  8       8       16\n"
        "name       'base'  'base'  (absent)\n"
        "3 fields differ among 3 configs (1 unchanged)\n"
    )


def test_text_with_a_baseline_leaves_cells_that_match_it_empty(with_baseline):
    assert render_table_text(with_baseline).splitlines()[:4] == [
        "path       base (baseline)  b    c",
        "lr         0.1              0.2",
        "model.dim  8                     16",
        "name       'base'                (absent)",
    ]


def test_text_cuts_long_values_but_keeps_paths_whole():
    long = "x" * 100
    c = compare([f"a: '{long}'\n", "a: 1\n"], ["p", "q"])
    line = render_table_text(c).splitlines()[1]
    assert f"'{long[: CELL_WIDTH - 4]}..." in line and long not in line


def test_text_shows_outcomes_above_the_fields_with_notes(runs):
    lines = render_table_text(runs).splitlines()
    assert lines[0].split() == ["outcome", "run1", "run2"]
    assert lines[1].split() == ["final", "loss", "2.5000", "-"]
    assert "tokens/s (median)  52,040  -" in render_table_text(runs)
    assert "note: run2: no metrics.jsonl" in lines
    assert lines[lines.index("") + 1].split() == ["path", "run1", "run2"]


def test_text_colours_only_when_asked(three):
    assert "\x1b[" not in render_table_text(three)
    assert "\x1b[" in render_table_text(three, color=True)


def test_text_of_equal_configs_is_the_tally():
    c = compare([A, A], ["a", "b"])
    assert render_table_text(c) == "no differences among 2 configs (4 fields)\n"


# -- markdown ---------------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    """A GFM table row's cells as GitHub splits them: at every pipe not preceded by a backslash."""
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def _code_text(cell: str) -> str:
    """What a cell's code span shows (CommonMark: strip the fence and one space each side)."""
    cell = cell.strip()
    fence = len(cell) - len(cell.lstrip("`"))
    body = cell[fence:-fence]
    if body.startswith(" ") and body.endswith(" ") and body.strip():
        body = body[1:-1]
    return body.replace("\\|", "|")


def test_markdown_tables_have_a_cell_per_column_in_every_row(three):
    table = [line for line in render_table_markdown(three).splitlines() if line.startswith("|")]
    assert len(table) == 2 + 3  # header, rule, three rows
    assert all(len(_cells(line)) == 4 for line in table)


def test_markdown_pipes_and_backticks_cannot_break_the_table():
    tricky = ["'a|b'", "'`x`'", "'``'", "'a\\\\|b'", "'| `|` |'"]
    texts = [f"path: {value}\nk['a|b']: 1\n" for value in tricky]
    texts.append("k['a|b']: 2\n")
    c = compare([Text(t, str(i)) for i, t in enumerate(texts)], [f"c|{i}`" for i in range(len(texts))])
    rows = [line for line in render_table_markdown(c).splitlines() if line.startswith("| `")]
    header = next(line for line in render_table_markdown(c).splitlines() if line.startswith("| path"))
    assert [_code_text(cell) for cell in _cells(header)[1:]] == [f"c|{i}`" for i in range(len(texts))]
    by_path = {_code_text(_cells(line)[0]): [_code_text(cell) for cell in _cells(line)[1:]] for line in rows}
    assert by_path["path"] == [*tricky, "(absent)"]
    assert by_path["k['a|b']"] == ["1"] * len(tricky) + ["2"]


def test_markdown_shows_outcomes_in_their_own_table(runs):
    text = render_table_markdown(runs)
    assert "| outcome | `run1` | `run2` |" in text
    assert "| final loss | `2.5000` | `-` |" in text
    assert "- `run2: no metrics.jsonl`" in text


def test_markdown_with_a_title_and_baseline(with_baseline):
    text = render_table_markdown(with_baseline, title="sweep <1>")
    assert text.startswith("### sweep \\<1\\>\n\n**3 fields differ among 3 configs (1 unchanged)**\n")
    assert "| `lr` | `0.1` | `0.2` |  |" in text


def test_markdown_stays_under_the_limit_and_says_how_many_rows_it_left_out():
    many = compare(["".join(f"f{i}: {i}\n" for i in range(2000)), "".join(f"f{i}: {-i - 1}\n" for i in range(2000))], ["a", "b"])
    text = render_table_markdown(many, limit=5000)
    assert len(text) <= 5000
    shown = sum(1 for line in text.splitlines() if line.startswith("| `f"))
    assert f"{2000 - shown:,} more rows not shown" in text


# -- csv --------------------------------------------------------------------------------


def test_csv_reads_back_with_the_csv_module(three):
    rows = list(csv.reader(io.StringIO(render_table_csv(three))))
    assert rows == [
        ["path", "a", "b", "c"],
        ["lr", "0.1", "0.2", "0.1"],
        ["model.dim", "8", "8", "16"],
        ["name", "'base'", "'base'", "(absent)"],
    ]


def test_csv_quotes_commas_quotes_and_newlines_in_values():
    c = compare(["s: 'a, \"b\"'\n", "s: 'c'\n"], ["x,1", "y"])
    assert list(csv.reader(io.StringIO(render_table_csv(c)))) == [["path", "x,1", "y"], ["s", "'a, \"b\"'", "'c'"]]


def test_csv_with_a_baseline_leaves_matching_cells_empty(with_baseline):
    rows = list(csv.reader(io.StringIO(render_table_csv(with_baseline))))
    assert rows[1] == ["lr", "0.1", "0.2", ""]


def test_csv_puts_outcomes_first_with_whole_values(runs):
    rows = list(csv.reader(io.StringIO(render_table_csv(runs))))
    assert rows[1] == ["outcome:final_loss", "2.5", ""]
    assert ["outcome:tokens_per_s", "52040.0", ""] in rows
    assert rows[-1][0] == "lr"


# -- json -------------------------------------------------------------------------------


def test_json_has_every_value_tagged_and_the_summary(with_baseline):
    data = json.loads(render_table_json(with_baseline))
    assert data["version"] == 1
    assert data["columns"][0] == {"label": "base", "source": "base", "baseline": True}
    assert data["rows"][0] == {"path": "lr", "values": {"base": 0.1, "b": 0.2, "c": 0.1}}
    assert data["rows"][2]["values"]["c"] == {"$type": "absent"}
    assert data["summary"] == {"configs": 3, "differ": 3, "unchanged": 1}
    assert data["outcomes"] == {}


def test_json_outcomes_are_keyed_by_run_label(runs):
    data = json.loads(render_table_json(runs))
    assert data["outcomes"]["run1"]["final_loss"] == 2.5
    assert data["outcomes"]["run2"]["notes"] == ["no metrics.jsonl"]
    assert "run_dir" not in data["outcomes"]["run1"]


def test_json_tags_symbols_and_raw_text():
    c = compare(["d: jax.numpy.float32\n", "d: PartitionSpec('data',)\n"], ["a", "b"])
    values = json.loads(render_table_json(c))["rows"][0]["values"]
    assert values == {"a": {"$type": "symbol", "repr": "jax.numpy.float32"}, "b": {"$type": "raw", "repr": "PartitionSpec('data',)"}}


def test_rows_built_by_hand_render_too():
    c = Comparison([Column("a", "a"), Column("b", "b")], [Row("x", (1, 2))], unchanged=0)
    assert render_table_csv(c) == "path,a,b\nx,1,2\n"
