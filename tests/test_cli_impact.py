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
