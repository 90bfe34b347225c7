"""compare(): the fields that differ among many configs; compare_sources(); column labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfgdiff.canonical import FlatConfig, ParseError, Raw, Text
from cfgdiff.compare import (
    ABSENT,
    CompareError,
    Row,
    compare,
    compare_sources,
    short_labels,
)
from cfgdiff.diff import FilterError

A = "lr: 0.1\nmodel.dim: 8\nmodel.heads: 2\nsteps: 10\n"
B = "lr: 0.2\nmodel.dim: 8\nmodel.heads: 2\nsteps: 10\n"
C = "lr: 0.1\nmodel.dim: 16\nmodel.heads: 2\nsteps: 10\n"


def test_only_fields_that_differ_are_rows_and_the_rest_are_counted():
    c = compare([A, B, C], ["a", "b", "c"])
    assert c.rows == [Row("lr", (0.1, 0.2, 0.1)), Row("model.dim", (8, 8, 16))]
    assert c.unchanged == 2
    assert c.summary() == "2 fields differ among 3 configs (2 unchanged)"


def test_equal_configs_have_no_rows():
    c = compare([A, A, A], ["a", "b", "c"])
    assert not c
    assert c.summary() == "no differences among 3 configs (4 fields)"


def test_a_field_only_some_configs_have_is_absent_in_the_others():
    c = compare(["a: 1\n", "a: 1\nb: 2\n", "a: 1\n"], ["x", "y", "z"])
    assert c.rows == [Row("b", (ABSENT, 2, ABSENT))]


def test_a_field_only_the_first_config_has_is_absent_in_the_others():
    c = compare(["a: 1\nb: 2\n", "a: 1\n", "a: 1\nb: 2\n"], ["x", "y", "z"])
    assert c.rows == [Row("b", (2, ABSENT, 2))]
    assert c.unchanged == 1


def test_texts_spelling_the_same_value_are_unchanged():
    c = compare(["s: 'a'\neps: 1e-08\n", 's: "a"\neps: 1e-8\n'], ["x", "y"])
    assert not c.rows
    assert c.unchanged == 2


def test_comparison_is_type_strict():
    c = compare(["a: 1\n", "a: 1.0\n", "a: '1'\n"], ["x", "y", "z"])
    assert c.rows == [Row("a", (1, 1.0, "1"))]


def test_order_of_lines_in_a_file_does_not_matter():
    assert not compare([A, "".join(reversed(A.splitlines(keepends=True)))], ["x", "y"])


def test_rows_come_in_canonical_path_order():
    c = compare(["l[2]: 0\nl[10]: 0\n", "l[2]: 1\nl[10]: 1\n"], ["x", "y"])
    assert [r.path for r in c.rows] == ["l[2]", "l[10]"]


def test_flat_configs_keep_their_exact_values():
    flat = FlatConfig({"lr": 0.1, "name": "x"})
    c = compare([flat, Text("lr: 0.2\nname: 'x'\n", "b.txt")], ["a", "b"])
    assert c.rows == [Row("lr", (0.1, 0.2))]
    assert [col.source for col in c.columns] == ["<config>", "b.txt"]


def test_axlearn_empty_values_compare_as_raw_text():
    c = compare(["a:\nb: 1\n", "a: 2\nb: 1\n"], ["x", "y"])
    assert c.rows == [Row("a", (Raw(""), 2))]


def test_ignore_drops_matching_paths_from_rows_and_counts():
    c = compare([A, B, C], ["a", "b", "c"], ignore=["lr"])
    assert [r.path for r in c.rows] == ["model.dim"]
    assert c.unchanged == 2


def test_only_keeps_one_subtree():
    c = compare([A, B, C], ["a", "b", "c"], only="model")
    assert [r.path for r in c.rows] == ["model.dim"]
    assert c.unchanged == 1


def test_only_selecting_nothing_is_an_error():
    with pytest.raises(FilterError, match="'optimizer'"):
        compare([A, B], ["a", "b"], only="optimizer")


def test_a_path_given_twice_is_a_parse_error_naming_the_file():
    with pytest.raises(ParseError, match="twice.txt:2"):
        compare([A, Text("lr: 0.1\nlr: 0.3\n", "twice.txt")], ["a", "twice"])


def test_a_path_given_twice_in_the_first_config_is_a_parse_error():
    with pytest.raises(ParseError, match="first.txt"):
        compare([Text("a: 1\na: 2\n", "first.txt"), "a: 1\n"], ["first", "b"])


def test_a_line_without_a_separator_is_a_parse_error():
    with pytest.raises(ParseError, match="bad.txt:1"):
        compare(["a: 1\n", Text("a 2\n", "bad.txt")], ["a", "bad"])


def test_baseline_marks_the_first_column_and_which_cells_match_it():
    c = compare([A, B, C], ["base", "b", "c"], baseline=True)
    lr = c.rows[0]
    assert c.baseline
    assert not c.same_as_baseline(lr, 1) and c.same_as_baseline(lr, 2)


# -- compare_sources: SOURCE arguments ---------------------------------------------------


@pytest.fixture
def sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three run directories runs/lr1, runs/lr2, runs/lr3 differing in lr; only lr1 has metrics."""
    for i in (1, 2, 3):
        run = tmp_path / "runs" / f"lr{i}"
        run.mkdir(parents=True)
        (run / "config.txt").write_text(f"lr: 0.{i}\nsteps: 10\n")
    (tmp_path / "runs" / "lr1" / "metrics.jsonl").write_text(json.dumps({"step": 10, "loss": 2.5}) + "\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_run_directories_are_compared_with_their_outcomes(sweep):
    c = compare_sources(["runs/lr1", "runs/lr2", "runs/lr3"])
    assert [col.label for col in c.columns] == ["lr1", "lr2", "lr3"]
    assert c.rows == [Row("lr", (0.1, 0.2, 0.3))]
    assert c.columns[0].outcome.final_loss == 2.5
    assert "no metrics.jsonl" in c.columns[1].outcome.notes


def test_files_have_no_outcomes(sweep):
    c = compare_sources(["runs/lr1/config.txt", "runs/lr2/config.txt"])
    assert [col.outcome for col in c.columns] == [None, None]
    assert [col.label for col in c.columns] == ["lr1/config.txt", "lr2/config.txt"]


def test_the_baseline_comes_first_and_is_not_repeated(sweep):
    c = compare_sources(["runs/lr1", "runs/lr2", "runs/lr3"], baseline="runs/lr2")
    assert [col.label for col in c.columns] == ["lr2", "lr1", "lr3"]
    assert c.baseline


def test_one_source_is_not_enough(sweep):
    with pytest.raises(CompareError, match="at least two"):
        compare_sources(["runs/lr1"])


def test_the_built_in_recipes_differ_in_their_model_dimensions(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # outside any project: the built-in recipes
    c = compare_sources(["tiny_lm", "small_lm", "gpt2_small", "llama_1b", "llama_7b"], only="model")
    rows = {r.path: r.values for r in c.rows}
    assert rows["model.dim"] == (64, 256, 768, 2048, 4096)
    assert rows["model.num_layers"] == (2, 4, 12, 16, 32)
    assert "model.vocab_size" not in rows  # all byte-level: counted as unchanged
    assert [col.label for col in c.columns] == ["tiny_lm", "small_lm", "gpt2_small", "llama_1b", "llama_7b"]


# -- labels ------------------------------------------------------------------------------


def test_labels_are_the_last_path_component():
    assert short_labels(["runs/a", "runs/b/", "golden/x.txt"]) == ["a", "b", "x.txt"]


def test_the_current_directory_is_labelled_by_its_name(tmp_path, monkeypatch):
    (tmp_path / "run7").mkdir()
    monkeypatch.chdir(tmp_path / "run7")
    assert short_labels([".", "../run7"]) == ["run7", "../run7"]


def test_labels_take_more_of_the_path_where_names_collide():
    assert short_labels(["sweep1/run/config.txt", "sweep2/run/config.txt", "c.txt"]) == [
        "sweep1/run/config.txt",
        "sweep2/run/config.txt",
        "c.txt",
    ]


def test_labels_keep_a_revision_prefix():
    assert short_labels(["main:golden/x.txt", "golden/x.txt"]) == ["main:x.txt", "x.txt"]


def test_the_same_source_twice_gets_numbered_labels():
    assert short_labels(["tiny_lm", "tiny_lm"]) == ["tiny_lm", "tiny_lm (2)"]
