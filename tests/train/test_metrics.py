"""metrics.jsonl records, progress lines without a terminal, the peak-FLOPs table, steady-state medians."""

from __future__ import annotations

import io

import pytest

from cfgdiff.runs import read_records
from cfgdiff.train.metrics import MetricsLog, peak_flops, steady_state


@pytest.mark.parametrize("device_kind, tflops", [
    ("NVIDIA H100 80GB HBM3", 989),  # SXM
    ("NVIDIA H100 PCIe", 756),
    ("NVIDIA H100 NVL", 835),
    ("NVIDIA H200", 989),
    ("NVIDIA A100-SXM4-80GB", 312),
    ("NVIDIA A100-SXM4-40GB", 312),
    ("NVIDIA A100 80GB PCIe", 312),
    ("NVIDIA B200", 2250),
    ("TPU v4", 275),
    ("TPU v5 lite", 197),  # v5e
    ("TPU v5", 459),  # v5p
    ("TPU v6 lite", 918),  # v6e
])
def test_peak_flops_match_the_device_kinds_jax_reports(device_kind, tflops):
    assert peak_flops(device_kind) == tflops * 1e12


def test_cpus_have_no_peak_flops():
    assert peak_flops("cpu") is None


def test_each_record_is_on_disk_before_the_next_step(tmp_path):
    log = MetricsLog(str(tmp_path / "m.jsonl"), 3, 0, stream=io.StringIO())
    log.write({"step": 1, "loss": 2.0, "tokens_per_s": 10.0})
    assert read_records(tmp_path / "m.jsonl")[0] == [{"step": 1, "loss": 2.0, "tokens_per_s": 10.0}]
    log.close()


def test_without_a_terminal_progress_is_a_line_with_step_loss_speed_and_eta(tmp_path):
    stream = io.StringIO()
    log = MetricsLog(str(tmp_path / "m.jsonl"), 100, 10, stream=stream, progress_every_s=3600)
    for step in range(11, 101):
        log.write({"step": step, "loss": 1.5, "tokens_per_s": 1234.0})
    log.close()
    lines = stream.getvalue().splitlines()
    # The first step and the last always; in between, one line per interval (an hour here).
    assert [line.split()[1] for line in lines] == ["11/100", "100/100"]
    assert lines[0].startswith("step 11/100  loss 1.5000  1,234 tokens/s  ETA ")


def test_steady_state_leaves_out_the_compile_and_eval_steps():
    records = [
        {"step": 1, "tokens_per_s": 10.0, "mfu": 0.01, "compile_s": 5.0},
        {"step": 2, "tokens_per_s": 100.0, "mfu": 0.4},
        {"step": 3, "tokens_per_s": 110.0, "mfu": 0.44},
        {"step": 4, "tokens_per_s": 20.0, "mfu": 0.08, "eval_loss": 1.0},
        {"step": 5, "tokens_per_s": 90.0, "mfu": 0.36},
    ]
    assert steady_state(records) == {"tokens_per_s": 100.0, "mfu": 0.4, "steps": 3}
