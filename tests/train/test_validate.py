"""Trainer configs are checked against their annotations and named constraints before any device work."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

from cfgdiff.config import ConfigError, config_for_function
from cfgdiff.recipes import lm
from cfgdiff.train.data import FileSource
from cfgdiff.train.validate import check


def bad(path: str, value) -> str:
    cfg = lm.tiny_lm()
    cfg.set_path(path, value)
    with pytest.raises(ConfigError) as e:
        check(cfg, jax.devices()[:1])
    return str(e.value)


@pytest.mark.parametrize("recipe", sorted(lm.named_recipes()))
def test_every_recipe_passes_the_checks_that_hold_on_any_machine(recipe):
    check(lm.named_recipes()[recipe]())


@pytest.mark.parametrize("path, value, message", [
    ("model.dim", 1.5, "model.dim: 1.5 is not an integer"),
    ("model.dim", "64", "model.dim: '64' is not an integer"),
    ("model.tied_embeddings", 1, "model.tied_embeddings: 1 is not True or False"),
    ("model.head_dim", "8", "model.head_dim: '8' is not an integer or None"),
    ("model.rope_theta", "big", "model.rope_theta: 'big' is not a number"),
    ("mesh_shape", (1, "a", 1), "mesh_shape: (1, 'a', 1) is not a tuple of an integer"),
    ("model.compute_dtype", jnp.int32, "model.compute_dtype: jax.numpy.int32 is not a floating-point dtype"),
])
def test_a_value_of_the_wrong_type_names_path_value_and_type(path, value, message):
    assert bad(path, value).startswith(message)


def test_a_dtype_field_refuses_a_function():
    import os

    assert "model.compute_dtype: posix.system is not a floating-point dtype" in bad("model.compute_dtype", os.system)


def test_a_child_config_must_build_the_class_it_is_a_config_of():
    import os

    assert "data.source.klass: posixpath is not a class configured by SyntheticSource.Config" in bad("data.source.klass", os.path)
    assert "data.source.klass" in bad("data.source.klass", FileSource)


def test_a_required_field_left_unset_is_named():
    cfg = lm.tiny_lm()
    cfg.data.source = FileSource.default_config()
    with pytest.raises(ConfigError, match="data.source.path: required field is not set"):
        check(cfg)


@pytest.mark.parametrize("path", ["model.dim", "data.global_batch_size", "max_steps", "checkpoint.every_steps", "model.norm_eps"])
def test_sizes_must_be_positive(path):
    assert "is not a positive number" in bad(path, 0)


@pytest.mark.parametrize("path, value, message", [
    ("model.dim", 62, "model.dim: 62 is not a multiple of model.num_heads (4)"),
    ("model.num_kv_heads", 3, "model.num_heads: 4 is not a multiple of model.num_kv_heads (3)"),
    ("model.head_dim", 9, "model.head_dim: 9 is not an even head width"),
    ("model.vocab_size", 100, "model.vocab_size: 100 is not at least the tokenizer's 256"),
    ("model.attention_impl", "flash", "model.attention_impl: 'flash' is not None (by backend), 'xla' or 'cudnn'"),
    ("data.eval_fraction", 1.0, "data.eval_fraction: 1.0 is not a fraction"),
    ("mesh_shape", (-1, 1), "mesh_shape: (-1, 1) is not one size per axis"),
    ("mesh_shape", (-1, -1, 1), "at most one -1"),
])
def test_named_constraints(path, value, message):
    assert message in bad(path, value)


def test_cudnn_attention_on_a_cpu_is_refused_with_the_reason():
    assert "cuDNN attention needs an NVIDIA GPU, and this is cpu" in bad("model.attention_impl", "cudnn")


def test_the_batch_must_split_over_the_mesh_batch_axes():
    cfg = lm.llama_7b()
    with pytest.raises(ConfigError, match=r"data.global_batch_size: 16 is not a multiple of the mesh's batch axes \(data=1 x fsdp=3 = 3\)"):
        check(cfg, [object()] * 3)


def test_the_mesh_must_fit_the_devices():
    cfg = lm.tiny_lm().set(mesh_shape=(2, 1, 1))
    with pytest.raises(ConfigError, match=r"mesh_shape: \(2, 1, 1\) does not fit the 1 device here"):
        check(cfg, jax.devices()[:1])


def test_a_config_of_something_else_is_not_a_trainer_config():
    with pytest.raises(ConfigError, match="not a reference-Trainer config \\(it configures optax.adam\\)"):
        import optax

        check(config_for_function(optax.adam).set(learning_rate=0.1))

