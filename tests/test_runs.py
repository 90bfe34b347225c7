"""runs.read_outcome: a run directory's figures from metrics.jsonl and data.json, partial files too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfgdiff.runs import Outcome, format_figure, is_run_dir, read_outcome

DATA = {"corpus_sha256": "ab" * 32, "corpus_bytes": 1000, "python": "3.11.7", "jax": "0.10.2", "devices": "1 x cpu"}


def write_run(path: Path, records: list[dict] | None = None, data: dict | None = DATA, extra: str = "") -> Path:
    """A run directory as `cfgdiff run` leaves it (no checkpoints): config.txt, metrics.jsonl, data.json."""
    path.mkdir(parents=True)
    (path / "config.txt").write_text("max_steps: 3\n")
    if records is not None:
        (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + extra)
    if data is not None:
        (path / "data.json").write_text(json.dumps(data))
    return path


RECORDS = [
    {"step": 1, "loss": 3.0, "tokens_per_s": 100.0, "mfu": None, "compile_s": 1.2},
    {"step": 2, "loss": 2.8, "tokens_per_s": 1000.0, "mfu": None, "eval_loss": 2.9},
    {"step": 3, "loss": 2.5, "tokens_per_s": 1200.0, "mfu": None},
]


def test_a_complete_run_gives_every_figure(tmp_path):
    outcome = read_outcome(write_run(tmp_path / "run", RECORDS))
    assert outcome == Outcome(
        str(tmp_path / "run"),
        final_loss=2.5,
        eval_loss=2.9,
        steps=3,
        tokens_per_s=1200.0,  # the steady step: compile and eval steps are left out, as `cfgdiff run` says
        mfu=None,
        corpus_sha256="ab" * 32,
        jax_version="0.10.2",
        notes=(),
    )


def test_eval_loss_is_the_last_one_logged(tmp_path):
    records = [*RECORDS, {"step": 4, "loss": 2.4, "eval_loss": 2.6}]
    assert read_outcome(write_run(tmp_path / "run", records)).eval_loss == 2.6


def test_tokens_per_s_is_the_median_of_the_steady_steps_as_the_trainer_reports_it(tmp_path):
    from cfgdiff.train.metrics import steady_state

    records = [*RECORDS, {"step": 4, "loss": 2.4, "tokens_per_s": 1400.0}, {"step": 5, "loss": 2.3, "tokens_per_s": 1000.0}]
    assert read_outcome(write_run(tmp_path / "run", records)).tokens_per_s == steady_state(records)["tokens_per_s"] == 1200.0


def test_mfu_is_the_median_of_the_steps_that_report_one(tmp_path):
    records = [{"step": i, "loss": 1.0, "mfu": m} for i, m in enumerate([0.40, None, 0.44, 0.42], 1)]
    assert read_outcome(write_run(tmp_path / "run", records)).mfu == pytest.approx(0.42)


def test_missing_files_are_named_in_notes(tmp_path):
    outcome = read_outcome(write_run(tmp_path / "run", None, data=None))
    assert outcome.final_loss is None and outcome.jax_version is None
    assert outcome.notes == ("no metrics.jsonl", "no data.json")


def test_a_half_written_last_line_is_a_note_and_the_rest_still_counts(tmp_path):
    outcome = read_outcome(write_run(tmp_path / "run", RECORDS, extra='{"step": 4, "lo'))
    assert outcome.steps == 3
    assert outcome.notes == ("metrics.jsonl: skipped what is not a JSON object (line 4)",)


def test_several_bad_lines_are_counted_in_one_note(tmp_path):
    outcome = read_outcome(write_run(tmp_path / "run", RECORDS, extra="oops\n[1, 2]\n"))
    assert outcome.notes == ("metrics.jsonl: skipped what is not a JSON object (2 lines, first line 4)",)


def test_an_empty_metrics_file_says_no_steps(tmp_path):
    assert read_outcome(write_run(tmp_path / "run", [])).notes == ("metrics.jsonl: no steps logged",)


def test_data_json_that_is_not_json_is_a_note(tmp_path):
    run = write_run(tmp_path / "run", RECORDS, data=None)
    (run / "data.json").write_text("{not json")
    outcome = read_outcome(run)
    assert outcome.corpus_sha256 is None
    assert len(outcome.notes) == 1 and outcome.notes[0].startswith("data.json: not JSON")


def test_non_finite_and_non_numeric_figures_are_unknown(tmp_path):
    records = [{"step": 1, "loss": float("nan"), "tokens_per_s": "fast"}]
    outcome = read_outcome(write_run(tmp_path / "run", records))
    assert outcome.final_loss is None and outcome.tokens_per_s is None and outcome.steps == 1


def test_a_run_dir_is_a_directory_holding_config_txt(tmp_path):
    write_run(tmp_path / "run", RECORDS)
    assert is_run_dir(tmp_path / "run")
    assert not is_run_dir(tmp_path)
    assert not is_run_dir(tmp_path / "run" / "config.txt")


@pytest.mark.parametrize(
    "attribute, value, text",
    [
        ("final_loss", 2.53351, "2.5335"),
        ("tokens_per_s", 52040.4, "52,040"),
        ("mfu", 0.4312, "43.1%"),
        ("steps", 10000, "10,000"),
        ("corpus_sha256", "ab" * 32, "abababababab"),
        ("jax_version", "0.10.2", "0.10.2"),
        ("eval_loss", None, "-"),
    ],
)
def test_figures_are_formatted_for_reading(attribute, value, text):
    assert format_figure(attribute, value) == text
