"""``cfgdiff plot``: a PNG of runs' losses titled with what differs, bad run dirs, matplotlib missing, loss.png."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cfgdiff import canonical
from cfgdiff.cli import main
from cfgdiff.recipes.lm import tiny_lm
from cfgdiff.train import plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def plot_cli(*args: str):
    return CliRunner().invoke(main, ["plot", *args])


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def make_run(run_dir: Path, num_layers: int, steps: int = 20) -> str:
    """A run directory as ``cfgdiff run`` leaves it: config.txt and one metrics record per step."""
    run_dir.mkdir()
    cfg = tiny_lm()
    cfg.model.num_layers = num_layers
    (run_dir / "config.txt").write_text(canonical.dumps(cfg))
    records = [
        {"step": s, "loss": 5.0 / s, "tokens_per_s": 1000.0 + s, **({"eval_loss": 5.5 / s} if s % 10 == 0 else {})}
        for s in range(1, steps + 1)
    ]
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(run_dir)


@pytest.fixture
def two_runs(tmp_path) -> list[str]:
    return [make_run(tmp_path / "a", num_layers=2), make_run(tmp_path / "b", num_layers=3)]


def test_plot_writes_a_png_that_matplotlib_reads_back(two_runs, tmp_path):
    output = tmp_path / "runs.png"
    result = plot_cli(*two_runs, "-o", str(output))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{output}\n"
    assert output.read_bytes().startswith(PNG_SIGNATURE)
    import matplotlib.image

    height, width, channels = matplotlib.image.imread(output).shape
    assert (width, height) == (800, 650) and channels in (3, 4)


def test_one_run_is_drawn_into_its_run_dir_by_default(two_runs):
    result = plot_cli(two_runs[0])
    assert result.exit_code == 0, result.output
    assert Path(two_runs[0], "loss.png").read_bytes().startswith(PNG_SIGNATURE)


def test_the_fields_that_differ_come_from_the_diff_engine(two_runs):
    assert plot.differing_fields(two_runs) == ["model.num_layers"]
    assert plot.title(two_runs, ["model.num_layers"]) == "2 runs differing in model.num_layers"
    assert plot.run_label(two_runs[1], ["model.num_layers"]) == f"{two_runs[1]} (model.num_layers=3)"


def test_a_title_names_a_few_fields_and_counts_the_rest(two_runs):
    fields = [f"f{i}" for i in range(6)]
    assert plot.title(two_runs, fields) == "2 runs differing in f0, f1, f2, f3 and 2 more"


def test_runs_of_one_config_say_so(tmp_path):
    runs = [make_run(tmp_path / "a", num_layers=2), make_run(tmp_path / "b", num_layers=2)]
    assert plot.differing_fields(runs) == []
    assert plot.title(runs, []) == "2 runs, same config"


def test_a_record_still_being_written_is_left_out(two_runs):
    with open(Path(two_runs[0], "metrics.jsonl"), "a") as f:
        f.write('{"step": 21, "lo')
    assert [r["step"] for r in plot.read_run(two_runs[0])] == list(range(1, 21))


def test_not_a_directory_is_one_line(tmp_path):
    assert one_line_error(plot_cli(str(tmp_path / "nope"))) == f"cfgdiff: error: {tmp_path / 'nope'}: not a directory"


def test_a_directory_without_metrics_is_one_line(tmp_path):
    assert "no metrics.jsonl" in one_line_error(plot_cli(str(tmp_path)))


def test_empty_metrics_is_one_line(tmp_path):
    (tmp_path / "metrics.jsonl").write_text("")
    assert one_line_error(plot_cli(str(tmp_path))).endswith("metrics.jsonl: no records yet")


def test_a_malformed_record_is_one_line_naming_its_line(two_runs):
    path = Path(two_runs[0], "metrics.jsonl")
    path.write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "loss"\n')
    assert one_line_error(plot_cli(two_runs[0])).startswith(f"cfgdiff: error: {path}:2: not a JSON record")


def test_an_output_in_a_missing_directory_is_one_line(two_runs, tmp_path):
    line = one_line_error(plot_cli(two_runs[0], "-o", str(tmp_path / "no" / "x.png")))
    assert line == f"cfgdiff: error: {tmp_path / 'no' / 'x.png'}: no directory {tmp_path / 'no'}"


def test_without_matplotlib_plot_says_how_to_install_it(two_runs, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    line = one_line_error(plot_cli(two_runs[0]))
    assert line == "cfgdiff: error: plotting needs matplotlib: pip install 'cfgdiff[plot]'"
    assert not Path(two_runs[0], "loss.png").exists()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("finished")
    result = CliRunner().invoke(main, ["run", "tiny_lm", "--run-dir", str(run_dir), "--steps", "2", "--set", "model.num_layers=1"])
    assert result.exit_code == 0, result.output
    return run_dir


def test_a_finished_run_writes_loss_png(finished_run):
    assert (finished_run / "loss.png").read_bytes().startswith(PNG_SIGNATURE)


def test_a_run_without_matplotlib_finishes_without_loss_png(finished_run, monkeypatch):
    (finished_run / "loss.png").unlink()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = CliRunner().invoke(main, ["run", "tiny_lm", "--run-dir", str(finished_run), "--steps", "3", "--set", "model.num_layers=1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("step 3: loss ") and not (finished_run / "loss.png").exists()
