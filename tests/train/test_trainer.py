"""The training loop: learning, metrics, exact resume, NaN stop, and 4 simulated devices."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import optax
import pytest

from cfgdiff.config import config_for_function
from cfgdiff.recipes.lm import tiny_lm
from cfgdiff.runs import read_records
from cfgdiff.train.optimizer import chain
from cfgdiff.train.data import FileSource
from cfgdiff.train.trainer import ResumeError, TrainingDiverged


def test_tiny_lm_loss_falls_well_below_its_start(tiny_run):
    losses = [r["loss"] for r in tiny_run["records"]]
    assert len(losses) == 50
    assert losses[0] > 5.0 and losses[-1] < 0.6 * losses[0]
    assert tiny_run["records"][-1]["eval_loss"] < 0.6 * losses[0]


def test_metrics_jsonl_has_one_record_per_step_with_every_metric(tiny_run):
    records = read_records(tiny_run["run_dir"] / "metrics.jsonl")[0]
    assert [r["step"] for r in records] == list(range(1, 51))
    assert {"loss", "grad_norm", "param_norm", "lr", "step_time", "tokens_per_s", "mfu"} <= set(records[0])
    assert "compile_s" in records[0]
    assert [r["step"] for r in records if "eval_loss" in r] == [25, 50]
    assert records[0]["lr"] == 0.0 and records[5]["lr"] == pytest.approx(3e-3)


def test_run_dir_records_the_corpus_hash(tiny_run):
    info = json.loads((tiny_run["run_dir"] / "data.json").read_text())
    assert len(info["corpus_sha256"]) == 64 and info["corpus_bytes"] > 0


def test_checkpoints_are_saved_every_n_steps_and_at_the_end(tiny_run):
    assert sorted(os.listdir(tiny_run["run_dir"] / "checkpoints")) == ["25", "50"]


def test_an_interrupted_run_resumes_with_exactly_the_uninterrupted_losses(tiny_run, tmp_path):
    cfg = tiny_lm()
    cfg.checkpoint.every_steps = 10
    trainer = cfg.instantiate()
    real_batch = trainer.data.batch

    def crash_at_33(step, shard=(0, 1)):
        if step == 33:
            raise KeyboardInterrupt
        return real_batch(step, shard)

    trainer.data.batch = crash_at_33
    with pytest.raises(KeyboardInterrupt):
        trainer.run(str(tmp_path))
    resumed = cfg.instantiate().run(str(tmp_path))
    assert resumed[0]["step"] == 31
    losses = [r["loss"] for r in read_records(tmp_path / "metrics.jsonl")[0]]
    assert losses == [r["loss"] for r in tiny_run["records"]]


def test_a_finished_run_does_nothing_more(tiny_run):
    assert tiny_lm().instantiate().run(str(tiny_run["run_dir"])) == []


def nan_after(step: int) -> optax.GradientTransformation:
    """Turns updates into NaN from ``step`` on (module level, so a config can name it)."""

    def update(updates, state, params=None):
        poison = jnp.where(state >= step, jnp.nan, 1.0)
        return jax.tree.map(lambda u: u * poison, updates), state + 1

    return optax.GradientTransformation(lambda params: jnp.zeros((), jnp.int32), update)


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    cfg = tiny_lm()
    cfg.checkpoint.every_steps = 5
    cfg.optimizer = config_for_function(chain).set(transforms=[cfg.optimizer, config_for_function(nan_after).set(step=7)])
    with pytest.raises(TrainingDiverged, match=r"param_norm nan at step 8: training stopped; last good checkpoint: step 5"):
        cfg.instantiate().run(str(tmp_path))
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["5"]


FOUR_DEVICES = """
import json, sys
from cfgdiff.recipes.lm import tiny_lm
cfg = tiny_lm()
cfg.set(max_steps=20, mesh_shape=(2, 2, 1))
trainer = cfg.instantiate()
specs = {k: list(v.spec) for k, v in trainer.state_sharding.params["layers"].items()}
records = trainer.run(sys.argv[1])
json.dump({"losses": [r["loss"] for r in records], "specs": specs, "batch": list(trainer.batch_sharding.spec)}, sys.stdout)
"""


def test_four_simulated_devices_on_a_data_by_fsdp_mesh_match_one_device(tiny_run, tmp_path):
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", FOUR_DEVICES, str(tmp_path)], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["batch"] == [["data", "fsdp"], None]
    assert out["specs"]["wq"] == [None, "fsdp", None]
    one_device = [r["loss"] for r in tiny_run["records"][:20]]
    assert out["losses"] == pytest.approx(one_device, rel=2e-3)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_form_one_mesh_through_jax_distributed(tiny_run, tmp_path):
    port = _free_port()
    command = [sys.executable, "-c", "from cfgdiff.cli import main; main()", "run", "tiny_lm", "--steps", "6",
               "--run-dir", str(tmp_path), "--set", "mesh_shape=(2, 2, 1)",
               # --steps stretches the schedule; these keep tiny_lm's 50-step one, to compare with tiny_run.
               "--set", "optimizer.transforms[1].learning_rate.decay_steps=50",
               "--set", "optimizer.transforms[1].learning_rate.warmup_steps=5"]
    procs = []
    for i in range(2):
        env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu",
               "JAX_COORDINATOR_ADDRESS": f"127.0.0.1:{port}", "JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": str(i),
               "JAX_INITIALIZATION_TIMEOUT": "60"}
        procs.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-2000:]
    # Gloo prints its own lines on stdout; only process 0 reports the run.
    assert outputs[0][0].splitlines()[-1].startswith("step 6: loss ") and "step 6" not in outputs[1][0]
    losses = [r["loss"] for r in read_records(tmp_path / "metrics.jsonl")[0]]
    assert losses == pytest.approx([r["loss"] for r in tiny_run["records"][:6]], rel=2e-3)
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["6"]


def test_resume_on_a_changed_corpus_names_both_hashes_unless_allowed(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("def f(x):\n    return x\n" * 400)
    cfg = tiny_lm().set(max_steps=2)
    cfg.model.num_layers = 1
    cfg.data.source = FileSource.default_config().set(path=str(corpus))
    run_dir = tmp_path / "run"
    cfg.instantiate().run(str(run_dir))
    old = json.loads((run_dir / "data.json").read_text())["corpus_sha256"]
    corpus.write_text("class A:\n    pass\n" * 400)
    longer = cfg.clone(max_steps=3)
    with pytest.raises(ResumeError, match=f"trained on corpus sha256 {old}, and this config's corpus is sha256 [0-9a-f]{{64}}"):
        longer.instantiate().run(str(run_dir))
    assert json.loads((run_dir / "data.json").read_text())["corpus_sha256"] == old
    assert [r["step"] for r in longer.instantiate().run(str(run_dir), allow_corpus_change=True)] == [3]


def test_a_run_killed_with_sigkill_resumes_with_one_record_per_step(tmp_path):
    command = [sys.executable, "-m", "cfgdiff", "run", "tiny_lm", "--run-dir", str(tmp_path), "--steps", "100",
               "--set", "checkpoint.every_steps=20", "--set", "model.num_layers=1"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    metrics = tmp_path / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (metrics.exists() and len(metrics.read_text().splitlines()) >= 30):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = len(read_records(metrics)[0])
    assert 30 <= killed_at < 100  # flushed per record: nothing reported is lost
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    assert [r["step"] for r in read_records(metrics)[0]] == list(range(1, 101))


def test_ctrl_c_says_the_same_command_resumes(tmp_path):
    command = [sys.executable, "-m", "cfgdiff", "run", "tiny_lm", "--run-dir", str(tmp_path), "--steps", "300",
               "--set", "checkpoint.every_steps=20", "--set", "model.num_layers=1"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    metrics = tmp_path / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (metrics.exists() and len(metrics.read_text().splitlines()) >= 25):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted; running the same command resumes from step 20" in err.splitlines()[-1]
