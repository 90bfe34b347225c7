"""``cfgdiff run`` and ``cfgdiff sample`` through click: config.txt, errors, sampling."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from cfgdiff import canonical
from cfgdiff.cli import main
from cfgdiff.runs import read_records


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


# -- bad input: one line, exit 2, in seconds, nothing left behind ----------------------------
@pytest.mark.parametrize("item, expected", [
    ("model.dim=1.5", "model.dim: 1.5 is not an integer"),
    ("model.dim='64'", "model.dim: '64' is not an integer"),
    ("data.source.klass=os.path", "data.source.klass: posixpath is not a class"),
    ("model.compute_dtype=os.system", "model.compute_dtype: posix.system is not a floating-point dtype"),
    ("model.dim=0", "model.dim: 0 is not a positive number"),
    ("data.global_batch_size=0", "data.global_batch_size: 0 is not a positive number"),
    ("model.attention_impl='cudnn'", "cuDNN attention needs an NVIDIA GPU"),
])
def test_bad_values_are_refused_before_the_run_dir_exists(tmp_path, item, expected):
    if "cudnn" in item and jax_backend() == "gpu":
        pytest.skip("cuDNN attention runs here")
    run_dir = tmp_path / "run"
    assert expected in one_line_error(invoke("run", "tiny_lm", "--run-dir", str(run_dir), "--set", item))
    assert not run_dir.exists()


def jax_backend() -> str:
    import jax

    return jax.default_backend()


def test_a_recipe_that_is_not_a_trainer_config_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.cfgdiff]\nrecipes = ["myrecipes"]\n')
    (tmp_path / "myrecipes.py").write_text(
        "import optax\nfrom cfgdiff.config import config_for_function\n"
        "def named_recipes():\n    return {'adam': lambda: config_for_function(optax.adam).set(learning_rate=0.1)}\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "not a reference-Trainer config (it configures optax.adam)" in one_line_error(invoke("run", "adam"))
    assert not (tmp_path / "runs").exists()


def test_a_model_too_big_for_the_device_is_refused_before_allocating(tmp_path, monkeypatch):
    from cfgdiff.train import memory

    monkeypatch.setattr(memory, "device_memory", lambda device: 16 * 2**30)
    run_dir = tmp_path / "run"
    line = one_line_error(invoke("run", "llama_7b", "--run-dir", str(run_dir)))
    assert "needs 78.03 GiB per device for parameters and optimizer state alone" in line and "has 16.00 GiB" in line
    assert "--aot" in line and not run_dir.exists()


@pytest.mark.parametrize("devices", ["3", "32"])
def test_aot_refuses_a_batch_that_does_not_split_over_the_mesh(devices):
    line = one_line_error(invoke("run", "llama_7b", "--aot", "--devices", devices))
    assert f"data.global_batch_size: 16 is not a multiple of the mesh's batch axes (data=1 x fsdp={devices}" in line


def test_the_default_run_dir_keeps_dots_in_a_recipe_name():
    from cfgdiff.train.launch import default_run_dir

    assert default_run_dir("sweep-lr0.01") == "runs/sweep-lr0.01"
    assert default_run_dir("pkg.recipes:gpt2_small") == "runs/gpt2_small"


# -- steps and resume -------------------------------------------------------------------------
def test_the_schedule_follows_steps_in_the_canonical_text():
    from cfgdiff.train.launch import recipe_config

    for cfg in (recipe_config("tiny_lm", steps=30), recipe_config("tiny_lm", ["max_steps=30"])):
        schedule = cfg.optimizer.transforms[1].learning_rate
        assert (cfg.max_steps, schedule.decay_steps, schedule.warmup_steps) == (30, 30, 3)


def test_steps_extends_a_finished_run_then_a_lower_step_changes_nothing(cli_run):
    run_dir, _ = cli_run
    args = ["run", "tiny_lm", "--run-dir", str(run_dir), "--set", "model.num_layers=1", "--set", "model.compute_dtype=jax.numpy.bfloat16"]
    result = invoke(*args, "--steps", "6")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("step 6: loss ")
    assert [r["step"] for r in read_records(run_dir / "metrics.jsonl")[0]] == [1, 2, 3, 4, 5, 6]
    flat = canonical.load(run_dir / "config.txt")
    assert flat["max_steps"] == 6 and flat["optimizer.transforms[1].learning_rate.decay_steps"] == 6
    before = (run_dir / "config.txt").read_bytes()
    line = one_line_error(invoke(*args, "--steps", "3"))
    assert "is already at step 6, past max_steps=3; nothing changed" in line
    assert (run_dir / "config.txt").read_bytes() == before



# -- progress, in a terminal and without one --------------------------------------------------
def run_in_pty(command: list[str]) -> tuple[int, str]:
    """Run ``command`` on a pseudo-terminal of 24 x 100 (as a user's terminal); exit code and output."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    main_fd, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(command, stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    out = b""
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(main_fd)
    return proc.wait(timeout=60), out.decode(errors="replace")


def test_run_in_a_terminal_shows_a_progress_bar(tmp_path):
    code, out = run_in_pty([sys.executable, "-m", "cfgdiff", "run", "tiny_lm", "--steps", "3", "--run-dir", str(tmp_path),
                            "--set", "model.num_layers=1"])
    assert code == 0, out
    assert "3/3 [" in out and "step/s" in out  # tqdm's bar, redrawn in place
    assert "step 3: loss " in out.splitlines()[-1]


def test_run_without_a_terminal_logs_progress_lines(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "cfgdiff", "run", "tiny_lm", "--steps", "3", "--run-dir", str(tmp_path),
                           "--set", "model.num_layers=1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("step 1/3  loss ") and "tokens/s  ETA " in lines[0]
    assert lines[-1].startswith("step 3/3  loss ") and "eval loss" in lines[-1]
    assert proc.stdout.startswith("step 3: loss ") and "median" in proc.stdout
