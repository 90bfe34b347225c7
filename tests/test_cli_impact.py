"""The commands' impact and label options: ``show --impact``, impact blocks, ``--fail-on``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cfgdiff.cli import main

GOLDEN = Path(__file__).resolve().parents[1] / "golden_configs"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "axlearn"


def cfgdiff(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def corpus(name: str) -> str:
    if not CORPUS.is_dir():
        pytest.skip("the AXLearn corpus (../shared/corpus/axlearn) is not here")
    return str(CORPUS / f"{name}.txt")


def test_show_impact_prints_aligned_figures():
    result = cfgdiff("show", "--impact", str(GOLDEN / "llama_7b.txt"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "parameters         6,981,685,248"
    assert "attention          GQA, 32 query / 8 KV heads, auto" in lines


def test_show_impact_of_an_axlearn_golden_file():
    result = cfgdiff("show", "--impact", corpus("fuji-7B-v2-single-host@34aed43c"))
    assert result.stdout.splitlines()[:2] == ["global batch     8", "tokens per step  32,768"]


def test_show_impact_without_a_registered_impact_is_one_line(tmp_path):
    (tmp_path / "c.txt").write_text("klass: my.Trainer\nsteps: 3\n")
    result = cfgdiff("show", "--impact", str(tmp_path / "c.txt"))
    assert result.exit_code == 2
    assert result.stderr.startswith("cfgdiff: error: no impact figures for its target my.Trainer; register some with @cfgdiff.impact('my.Trainer')")


@pytest.fixture
def configs(tmp_path, monkeypatch):
    """Three versions of a trainer-shaped config, outside any project (built-in label rules)."""
    monkeypatch.chdir(tmp_path)
    base = "model.dim: 8\nmax_steps: 10\noptimizer.learning_rate: 0.1\n"
    (tmp_path / "base.txt").write_text(base)
    (tmp_path / "lr.txt").write_text(base.replace("0.1", "0.2").replace("10", "20"))
    (tmp_path / "wide.txt").write_text(base.replace("8", "16"))
    return tmp_path


def test_fail_on_passes_changes_without_the_label(configs):
    result = cfgdiff("base.txt", "lr.txt", "--fail-on", "breaks-checkpoint")
    assert result.exit_code == 0 and "optimizer.learning_rate: 0.1 -> 0.2" in result.stdout


def test_fail_on_fails_a_change_with_the_label(configs):
    assert cfgdiff("base.txt", "wide.txt", "--fail-on", "breaks-checkpoint", "-q").exit_code == 1
    assert cfgdiff("base.txt", "lr.txt", "--fail-on", "breaks-checkpoint", "--fail-on", "changes-schedule", "-q").exit_code == 1


def test_fail_on_an_unknown_label_is_trouble(configs):
    result = cfgdiff("base.txt", "wide.txt", "--fail-on", "breaks-checkpoints")
    assert result.exit_code == 2 and result.stderr.startswith("cfgdiff: error: --fail-on 'breaks-checkpoints': no rule defines")
