"""The train step's memory is checked against the device before anything is allocated."""

from __future__ import annotations

import jax
import pytest

from cfgdiff.recipes.lm import tiny_lm
from cfgdiff.train import memory
from cfgdiff.train.memory import DoesNotFit


def test_state_bytes_are_the_shards_of_parameters_and_optimizer_state():
    trainer = tiny_lm().instantiate()
    params = trainer.model.param_count()
    # float32 parameters plus AdamW's two moments, and a few scalar counters.
    assert 3 * 4 * params <= memory.shard_bytes(trainer.abstract_state()) < 3 * 4 * params + 64


def test_a_step_whose_activations_do_not_fit_is_refused_by_the_compiled_analysis(monkeypatch):
    trainer = tiny_lm().instantiate()
    state = memory.shard_bytes(trainer.abstract_state())
    monkeypatch.setattr(memory, "device_memory", lambda device: state + 1)
    with pytest.raises(DoesNotFit, match="for state, batch and activations \\(XLA's memory analysis\\)"):
        trainer.compile_train_step()


def test_cpu_devices_share_the_host_memory():
    host = memory.device_memory(jax.devices("cpu")[0])
    assert host is not None and host * jax.local_device_count("cpu") > 2**28
