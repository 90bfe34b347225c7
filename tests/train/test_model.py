"""The decoder: shapes, parameter count, causality, grouped-query attention, dtypes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cfgdiff.train.model import Decoder, apply_rope, cudnn_attention_unavailable, default_attention, rope_tables


def small(**overrides) -> Decoder:
    cfg = Decoder.default_config().set(vocab_size=256, dim=32, num_layers=2, num_heads=4, num_kv_heads=2, ffn_dim=64)
    return cfg.set(**overrides).instantiate()


def test_logits_have_shape_batch_seq_vocab_in_float32():
    model = small()
    logits = jax.jit(model.apply)(model.init(jax.random.key(0)), jnp.zeros((3, 8), jnp.int32))
    assert logits.shape == (3, 8, 256) and logits.dtype == jnp.float32


def test_param_count_matches_the_initialized_arrays():
    for tied in (True, False):
        model = small(tied_embeddings=tied)
        params = model.init(jax.random.key(0))
        assert model.param_count() == sum(p.size for p in jax.tree.leaves(params))
        assert ("unembed" in params) is not tied


def test_a_token_never_sees_the_tokens_after_it():
    model = small()
    params = model.init(jax.random.key(1))
    tokens = jnp.arange(10, dtype=jnp.int32)[None]
    changed = tokens.at[0, 6].set(200)
    apply = jax.jit(model.apply)
    a, b = apply(params, tokens), apply(params, changed)
    np.testing.assert_allclose(a[0, :6], b[0, :6], atol=1e-6)
    assert not np.allclose(a[0, 6:], b[0, 6:])


def test_grouped_query_attention_with_repeated_kv_heads_equals_full_attention():
    gqa = small(num_heads=4, num_kv_heads=2)
    mha = small(num_heads=4, num_kv_heads=4)
    params = gqa.init(jax.random.key(2))
    repeat = lambda w: jnp.repeat(w.reshape(*w.shape[:-1], 2, 8), 2, axis=-2).reshape(*w.shape[:-1], 32)  # noqa: E731
    full = {**params, "layers": {**params["layers"], "wk": repeat(params["layers"]["wk"]), "wv": repeat(params["layers"]["wv"])}}
    tokens = jnp.arange(12, dtype=jnp.int32)[None] * 7
    np.testing.assert_allclose(jax.jit(gqa.apply)(params, tokens), jax.jit(mha.apply)(full, tokens), atol=1e-5)


def test_bf16_compute_keeps_float32_parameters_and_float32_logits():
    model = small(compute_dtype=jnp.bfloat16)
    params = model.init(jax.random.key(0))
    assert all(p.dtype == jnp.float32 for p in jax.tree.leaves(params))
    assert jax.jit(model.apply)(params, jnp.zeros((1, 4), jnp.int32)).dtype == jnp.float32


def test_remat_gives_the_same_gradients():
    plain, remat = small(), small(remat=True)
    params = plain.init(jax.random.key(0))
    tokens = jnp.arange(16, dtype=jnp.int32)[None]
    g1 = jax.jit(jax.grad(plain.loss))(params, tokens, tokens)
    g2 = jax.jit(jax.grad(remat.loss))(params, tokens, tokens)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=1e-6), g1, g2)


def test_rope_preserves_norms_and_leaves_position_zero_unrotated():
    cos, sin = rope_tables(5, 8, 10000.0)
    x = jax.random.normal(jax.random.key(0), (1, 5, 2, 8))
    y = jax.jit(apply_rope)(x, cos, sin)
    np.testing.assert_allclose(jnp.linalg.norm(x, axis=-1), jnp.linalg.norm(y, axis=-1), rtol=1e-5)
    np.testing.assert_allclose(x[:, 0], y[:, 0], atol=1e-6)


def test_flops_per_token_is_six_times_matmul_params_plus_causal_attention():
    model = small()
    matmuls = 2 * (32 * 32 * 2 + 32 * 16 * 2 + 3 * 32 * 64)  # wq wo, wk wv, swiglu; tied embedding counted once
    # PaLM's 12 x layers x seq x width, halved for the causal mask (MaxText, Megatron).
    assert model.flops_per_token(seq_len=8) == 6 * (matmuls + 256 * 32) + 6 * 2 * 8 * 32


class FakeDevice:
    """What the attention choice reads from a ``jax.Device``."""

    def __init__(self, platform: str, device_kind: str, compute_capability: str | None = None) -> None:
        self.platform, self.device_kind = platform, device_kind
        if compute_capability is not None:
            self.compute_capability = compute_capability


H100 = FakeDevice("gpu", "NVIDIA H100 80GB HBM3", "9.0")


def test_unset_attention_picks_cudnn_on_an_nvidia_gpu_with_bf16():
    assert default_attention(H100, jnp.bfloat16, 64) == "cudnn"


@pytest.mark.parametrize("device, dtype, head_dim, why", [
    (FakeDevice("cpu", "cpu"), jnp.bfloat16, 64, "needs an NVIDIA GPU"),
    (FakeDevice("tpu", "TPU v5 lite"), jnp.bfloat16, 64, "needs an NVIDIA GPU"),
    (FakeDevice("gpu", "AMD Instinct MI300X"), jnp.bfloat16, 64, "needs an NVIDIA GPU"),
    (FakeDevice("gpu", "AMD Instinct MI300X", "gfx942"), jnp.bfloat16, 64, "needs an NVIDIA GPU"),
    (FakeDevice("gpu", "Tesla V100-SXM2-16GB", "7.0"), jnp.bfloat16, 64, "compute capability 8.0"),
    (FakeDevice("gpu", "NVIDIA T4", "7.5"), jnp.bfloat16, 64, "compute capability 8.0"),
    (H100, jnp.float32, 64, "bfloat16 or float16"),
    (H100, jnp.bfloat16, 12, "multiple of 8 up to 256"),
    (FakeDevice("gpu", "NVIDIA A100-SXM4-80GB", "8.0"), jnp.bfloat16, 192, "multiple of 8 up to 128"),
])
def test_unset_attention_falls_back_to_xla_where_cudnn_cannot_run(device, dtype, head_dim, why):
    assert why in cudnn_attention_unavailable(device, dtype, head_dim)
    assert default_attention(device, dtype, head_dim) == "xla"


def test_decoder_resolves_unset_attention_for_this_backend():
    assert small().attention_impl == ("cudnn" if jax.default_backend() == "gpu" else "xla")
