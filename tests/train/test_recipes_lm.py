"""Every built-in LM recipe either trains a few steps or compiles for its mesh (--aot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cfgdiff import canonical
from cfgdiff.recipes import lm

TRAINED = ["tiny_lm", "small_lm"]
COMPILED = ["gpt2_small", "llama_1b", "llama_7b"]


def test_every_recipe_is_either_trained_or_compiled_here():
    assert sorted(lm.named_recipes()) == sorted(TRAINED + COMPILED)


@pytest.mark.parametrize("name", sorted(lm.named_recipes()))
def test_recipe_writes_canonical_text(name):
    text = canonical.dumps(lm.named_recipes()[name]())
    assert "klass: cfgdiff.train.trainer.Trainer\n" in text
    assert "optimizer.transforms[1].fn: optax.adamw\n" in text


def test_tiny_lm_trains(tiny_run):
    assert tiny_run["records"][-1]["step"] == 50  # the full recipe, see test_trainer.py


def test_small_lm_trains_a_few_steps_on_the_standard_library(tmp_path):
    cfg = lm.small_lm()
    cfg.set(max_steps=2, eval_batches=1)
    cfg.data.global_batch_size = 4  # the recipe's model and corpus, a smaller batch: CI has two cores
    records = cfg.instantiate().run(str(tmp_path))
    assert [r["step"] for r in records] == [1, 2] and all(r["loss"] > 0 for r in records)


AOT = """
import json, sys
from cfgdiff.recipes import lm
from cfgdiff.train.aot import compile_report
out = {name: compile_report(lm.named_recipes()[name](), 8) for name in sys.argv[1:]}
json.dump(out, sys.stdout)
"""


def test_large_recipes_compile_for_8_devices_without_allocating():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", AOT, *COMPILED], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    reports = json.loads(proc.stdout)
    assert 100e6 < reports["gpt2_small"]["params"] < 130e6
    assert 0.9e9 < reports["llama_1b"]["params"] < 1.1e9
    assert 6.5e9 < reports["llama_7b"]["params"] < 7.5e9
    assert reports["llama_7b"]["mesh"] == {"data": 1, "fsdp": 8, "model": 1}
    # fsdp: each device holds an eighth of the parameters and optimizer state (12 bytes a parameter).
    assert reports["llama_7b"]["arguments_per_device"] < 12 * 7.5e9 / 8
