"""`cfgdiff A B` on two run directories: their outcomes head the diff in text, markdown and JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import cfgdiff
from cfgdiff.diff import diff
from cfgdiff.render import render_json, render_markdown, render_text
from cfgdiff.runs import Outcome

OLD = Outcome("runs/base", final_loss=2.5, eval_loss=2.6, steps=50, tokens_per_s=52040.0, jax_version="0.10.2")
NEW = Outcome("runs/wide", final_loss=2.25, steps=50, tokens_per_s=48000.0, jax_version="0.10.2", notes=("no data.json",))
D = diff("model.dim: 64\nsteps: 50\n", "model.dim: 128\nsteps: 50\n")


def test_text_starts_with_the_outcomes_block():
    assert render_text(D, outcomes=[OLD, NEW]).splitlines()[:10] == [
        "# outcomes (base -> wide)",
        "  final loss         2.5000 -> 2.2500",
        "  eval loss          2.6000 -> -",
        "  steps              50",
        "  tokens/s (median)  52,040 -> 48,000",
        "  MFU (median)       -",
        "  corpus sha256      -",
        "  jax                0.10.2",
        "  note: wide: no data.json",
        "# model (1 changed)",
    ]


def test_text_without_outcomes_is_unchanged():
    assert not render_text(D).startswith("# outcomes")


def test_markdown_has_an_outcomes_table_after_the_tally():
    text = render_markdown(D, outcomes=[OLD, NEW])
    lines = text.splitlines()
    assert text.index("**1 changed") < text.index("| outcome")
    table = [line for line in lines if line.startswith("| ")]
    assert table[0] == "| outcome | `base` | `wide` |"
    assert "| final loss | `2.5000` | `2.2500` |" in table
    assert all(len(re.split(r"(?<!\\)\|", line)) == 5 for line in table)
    assert "- `wide: no data.json`" in lines
    assert text.index("| outcome") < text.index("```diff")


def test_json_has_an_outcomes_key_only_for_runs():
    data = json.loads(render_json(D, outcomes=[OLD, NEW]))
    assert data["outcomes"]["old"]["final_loss"] == 2.5
    assert data["outcomes"]["new"] == {
        "final_loss": 2.25, "eval_loss": None, "steps": 50, "tokens_per_s": 48000.0, "mfu": None,
        "corpus_sha256": None, "jax_version": "0.10.2", "notes": ["no data.json"],
    }
    assert "outcomes" not in json.loads(render_json(D))


# -- the command --------------------------------------------------------------------------


@pytest.fixture
def two_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, dim, loss in (("base", 64, 2.5), ("wide", 128, 2.25)):
        run = tmp_path / "runs" / name
        run.mkdir(parents=True)
        (run / "config.txt").write_text(f"model.dim: {dim}\nsteps: 50\n")
        (run / "metrics.jsonl").write_text(json.dumps({"step": 50, "loss": loss, "tokens_per_s": 1000.0}) + "\n")
    (tmp_path / "runs" / "base" / "data.json").write_text(json.dumps({"corpus_sha256": "c" * 64, "jax": "0.10.2"}))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_diff_of_two_run_directories_shows_outcomes_first(two_runs):
    result = cfgdiff("runs/base", "runs/wide")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    start = lines.index("# outcomes (base -> wide)")  # after the impact block
    assert lines[start + 1] == "  final loss         2.5000 -> 2.2500"
    assert "  note: wide: no data.json" in lines
    assert any(line.startswith("  ~ model.dim: 64 -> 128") for line in lines)
    assert lines.index("# outcomes (base -> wide)") < lines.index("# model (1 changed)")


def test_diff_of_two_run_directories_as_json_and_markdown(two_runs):
    data = json.loads(cfgdiff("runs/base", "runs/wide", "--format", "json").stdout)
    assert data["outcomes"]["old"]["corpus_sha256"] == "c" * 64
    assert "| outcome | `base` | `wide` |" in cfgdiff("runs/base", "runs/wide", "--format", "markdown").stdout


def test_diff_of_config_files_has_no_outcomes(two_runs):
    result = cfgdiff("runs/base/config.txt", "runs/wide/config.txt")
    assert "outcomes" not in result.stdout
