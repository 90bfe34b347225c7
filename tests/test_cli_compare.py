"""`cfgdiff compare`: exit codes, formats, --baseline, filters, run directories, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import cfgdiff


@pytest.fixture
def sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """runs/lr1..lr3 (lr differs; lr1 and lr2 trained), and same.txt equal to lr1's config."""
    for i in (1, 2, 3):
        run = tmp_path / "runs" / f"lr{i}"
        run.mkdir(parents=True)
        (run / "config.txt").write_text(f"lr: 0.{i}\nmodel.dim: 8\nsteps: 10\n")
    for i, loss in ((1, 2.5), (2, 2.25)):
        records = [{"step": 10, "loss": loss, "tokens_per_s": 1000.0 * i, "eval_loss": loss + 0.1}]
        (tmp_path / "runs" / f"lr{i}" / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        (tmp_path / "runs" / f"lr{i}" / "data.json").write_text(json.dumps({"corpus_sha256": "f" * 64, "jax": "0.10.2"}))
    (tmp_path / "same.txt").write_text("lr: 0.1\nmodel.dim: 8\nsteps: 10\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def test_exit_code_1_and_the_table_when_fields_differ(sweep):
    result = cfgdiff("compare", "runs/lr1/config.txt", "runs/lr2/config.txt")
    assert result.exit_code == 1
    assert result.stdout == "path  lr1/config.txt  lr2/config.txt\nlr    0.1             0.2\n1 field differs among 2 configs (2 unchanged)\n"


def test_exit_code_0_when_all_are_the_same(sweep):
    result = cfgdiff("compare", "same.txt", "runs/lr1/config.txt")
    assert result.exit_code == 0
    assert result.stdout == "no differences among 2 configs (3 fields)\n"


def test_run_directories_show_outcomes_then_fields(sweep):
    result = cfgdiff("compare", "runs/lr1", "runs/lr2", "runs/lr3")
    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    assert lines[0].split() == ["outcome", "lr1", "lr2", "lr3"]
    assert lines[1].split() == ["final", "loss", "2.5000", "2.2500", "-"]
    assert "note: lr3: no metrics.jsonl; no data.json" in lines
    assert lines[-3:] == [
        "path               lr1           lr2           lr3",
        "lr                 0.1           0.2           0.3",
        "1 field differs among 3 configs (2 unchanged)",
    ]


def test_baseline_is_the_first_column(sweep):
    result = cfgdiff("compare", "runs/lr2", "runs/lr3", "--baseline", "runs/lr1", "--only", "lr")
    assert [line.split() for line in result.stdout.splitlines()[-3:]] == [
        ["path", "lr1", "(baseline)", "lr2", "lr3"],
        ["lr", "0.1", "0.2", "0.3"],
        ["1", "field", "differs", "among", "3", "configs", "(0", "unchanged)"],
    ]


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown"])
def test_every_format_is_parsable(sweep, fmt):
    result = cfgdiff("compare", "runs/lr1", "runs/lr2", "--format", fmt)
    assert result.exit_code == 1
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(result.stdout)))
        assert rows[0] == ["path", "lr1", "lr2"] and ["lr", "0.1", "0.2"] in rows
    elif fmt == "json":
        data = json.loads(result.stdout)
        assert data["rows"] == [{"path": "lr", "values": {"lr1": 0.1, "lr2": 0.2}}]
        assert data["outcomes"]["lr2"]["eval_loss"] == 2.35
    else:
        assert "| `lr` | `0.1` | `0.2` |" in result.stdout


def test_ignore_leaves_paths_out(sweep):
    result = cfgdiff("compare", "runs/lr1", "runs/lr2", "--ignore", "lr")
    assert result.exit_code == 0


def test_one_source_is_a_one_line_error(sweep):
    result = cfgdiff("compare", "same.txt")
    assert result.exit_code == 2
    assert result.stderr == "cfgdiff: error: compare needs at least two configs (or one and --baseline)\n"


def test_a_missing_source_is_a_one_line_error(sweep):
    result = cfgdiff("compare", "same.txt", "nope.txt")
    assert result.exit_code == 2
    assert result.stderr.startswith("cfgdiff: error: nope.txt: not a config source")
    assert result.stderr.count("\n") == 1


def test_only_selecting_nothing_is_a_one_line_error(sweep):
    result = cfgdiff("compare", "runs/lr1", "runs/lr2", "--only", "optimizer")
    assert result.exit_code == 2
    assert result.stderr == "cfgdiff: error: --only 'optimizer': no config has a field under it\n"


def test_a_malformed_file_names_its_line(sweep):
    (sweep / "bad.txt").write_text("lr: 0.1\nmodel.dim 8\n")
    result = cfgdiff("compare", "same.txt", "bad.txt")
    assert result.exit_code == 2
    assert result.stderr.startswith("cfgdiff: error: bad.txt:2: ")


def test_title_needs_markdown(sweep):
    result = cfgdiff("compare", "runs/lr1", "runs/lr2", "--title", "x")
    assert result.exit_code == 2
    assert "--title heads a markdown comment" in result.stderr


def test_comparing_files_never_imports_jax(sweep):
    import subprocess
    import sys

    code = (
        "import sys\nfrom cfgdiff.cli import main\n"
        "try:\n    main(['compare', 'runs/lr1', 'runs/lr2', '--format', 'json'])\n"
        "except SystemExit:\n    pass\n"
        "assert 'jax' not in sys.modules, 'jax was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
