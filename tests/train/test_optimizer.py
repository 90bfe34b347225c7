"""Optimizer configs: optax.chain through a named list, weight-decay mask, the logged learning rate."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from cfgdiff import canonical
from cfgdiff.config import build, config_for_function
from cfgdiff.recipes.lm import adamw_cosine
from cfgdiff.train.optimizer import chain, decay_mask, find_learning_rate


def test_chain_matches_optax_chain():
    params = {"w": jnp.ones((3, 3))}
    grads = {"w": jnp.full((3, 3), 5.0)}
    ours = chain([optax.clip_by_global_norm(1.0), optax.sgd(0.1)])
    theirs = optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(0.1))
    a, _ = ours.update(grads, ours.init(params), params)
    b, _ = theirs.update(grads, theirs.init(params), params)
    np.testing.assert_allclose(a["w"], b["w"])


def test_optimizer_config_reads_well_as_canonical_text():
    text = canonical.dumps(adamw_cosine(1e-3, warmup_steps=10, total_steps=100))
    assert "transforms[0].fn: optax.clip_by_global_norm\n" in text
    assert "transforms[1].fn: optax.adamw\n" in text
    assert "transforms[1].learning_rate.fn: optax.warmup_cosine_decay_schedule\n" in text
    assert "transforms[1].learning_rate.end_value: 0.0001\n" in text


def test_weight_decay_skips_norm_scales():
    mask = decay_mask({"embed": 1, "layers": {"attn_norm": 1, "wq": 1}, "final_norm": 1})
    assert mask == {"embed": True, "layers": {"attn_norm": False, "wq": True}, "final_norm": False}


def test_find_learning_rate_returns_the_schedule_config():
    cfg = adamw_cosine(1e-3, warmup_steps=10, total_steps=100)
    schedule = build(find_learning_rate(cfg))
    assert float(schedule(10)) == pytest.approx(1e-3)
    assert find_learning_rate(config_for_function(optax.sgd).set(learning_rate=0.5)) == 0.5
