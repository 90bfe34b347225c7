"""``cfgdiff run`` and ``cfgdiff sample`` through click: config.txt, errors, sampling."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from cfgdiff import canonical
from cfgdiff.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_unknown_set_path_is_one_line_with_a_suggestion(tmp_path):
    line = one_line_error(invoke("run", "tiny_lm", "--run-dir", str(tmp_path), "--set", "model.num_layer=3"))
    assert "unknown field 'model.num_layer'" in line and "did you mean 'num_layers'" in line


@pytest.mark.parametrize("item, expected", [
    ("model.dim=[64,", "cannot parse '[64,'"),
    ("model.dim", "expected PATH=VALUE"),
    ("model.compute_dtype=bfloat16", "strings need quotes"),
    ("model=4", "model is a config"),
])
def test_bad_set_values_are_one_line_errors(tmp_path, item, expected):
    assert expected in one_line_error(invoke("run", "tiny_lm", "--run-dir", str(tmp_path), "--set", item))


def test_missing_recipe_is_one_line_with_a_suggestion():
    line = one_line_error(invoke("run", "tiny_llm"))
    assert "unknown recipe 'tiny_llm'" in line and "did you mean 'tiny_lm'" in line


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("cli_run")
    result = invoke("run", "tiny_lm", "--run-dir", str(run_dir), "--steps", "4",
                    "--set", "model.num_layers=1", "--set", "model.compute_dtype=jax.numpy.bfloat16")
    assert result.exit_code == 0, result.output
    return run_dir, result


def test_run_writes_the_exact_config_with_overrides(cli_run):
    run_dir, result = cli_run
    flat = canonical.load(run_dir / "config.txt")
    assert flat["model.num_layers"] == 1 and flat["max_steps"] == 4
    assert flat["model.compute_dtype"] == canonical.Symbol("jax.numpy.bfloat16")
    assert result.stdout.startswith("step 4: loss ")


def test_a_run_dir_of_another_config_is_refused(cli_run):
    run_dir, _ = cli_run
    line = one_line_error(invoke("run", "tiny_lm", "--run-dir", str(run_dir), "--steps", "4"))
    assert "checkpoints this config cannot load (model.num_layers differ: breaks-checkpoint)" in line


def test_sample_continues_the_prompt_from_the_latest_checkpoint(cli_run):
    run_dir, _ = cli_run
    result = invoke("sample", str(run_dir), "--prompt", "12 def", "--tokens", "20")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("12 def") and len(result.stdout.encode()) >= len("12 def") + 1


def test_sample_without_a_run_is_one_line(tmp_path):
    assert "config.txt" in one_line_error(invoke("sample", str(tmp_path)))


def test_aot_compiles_on_simulated_devices_in_a_fresh_process():
    result = invoke("run", "tiny_lm", "--aot", "--devices", "4", "--set", "mesh_shape=(2, 2, 1)")
    assert result.exit_code == 0, result.output
    assert "compiled for 4 CPU devices (data=2 x fsdp=2 x model=1)" in result.stdout
    assert "parameters         " in result.stdout and "memory per device" in result.stdout


def test_importing_the_cli_does_not_import_jax():
    code = "import sys, cfgdiff.cli; sys.exit('jax' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
