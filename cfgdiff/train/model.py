"""A decoder-only transformer in pure JAX: embedding, RoPE, RMSNorm, GQA attention, SwiGLU.

Parameters are a plain dict of arrays; layers are stacked on a leading axis and run with
``jax.lax.scan`` so a 32-layer model compiles as fast as a 1-layer one. Every parameter
names its logical axes (``PARAM_AXES``); :mod:`cfgdiff.train.mesh` maps those names to
mesh axes, so this module knows nothing about devices.
"""

from __future__ import annotations

import re
from typing import Any

import jax
import jax.numpy as jnp
import optax
from jax.typing import DTypeLike

from cfgdiff.config import REQUIRED, Configurable, Required

Params = dict[str, Any]
#: Keys and values of every layer for decoding: {"k": ..., "v": ...}, see :meth:`Decoder.init_cache`.
KVCache = dict[str, jax.Array]

#: Logical axes of every parameter (stacked layer parameters lead with "layers").
PARAM_AXES: dict[str, Any] = {
    "embed": ("vocab", "embed"),
    "layers": {
        "attn_norm": ("layers", "norm"),
        "wq": ("layers", "embed", "heads"),
        "wk": ("layers", "embed", "kv_heads"),
        "wv": ("layers", "embed", "kv_heads"),
        "wo": ("layers", "heads", "embed"),
        "mlp_norm": ("layers", "norm"),
        "w_gate": ("layers", "embed", "mlp"),
        "w_up": ("layers", "embed", "mlp"),
        "w_down": ("layers", "mlp", "embed"),
    },
    "final_norm": ("norm",),
    "unembed": ("embed", "vocab"),
}


class Decoder(Configurable):
    """A LLaMA-style decoder-only language model."""

    class Config(Configurable.Config):
        vocab_size: Required[int] = REQUIRED
        dim: Required[int] = REQUIRED
        num_layers: Required[int] = REQUIRED
        num_heads: Required[int] = REQUIRED
        num_kv_heads: Required[int] = REQUIRED  # < num_heads: grouped-query attention
        head_dim: int | None = None  # None: dim // num_heads
        ffn_dim: Required[int] = REQUIRED  # hidden width of the SwiGLU MLP
        rope_theta: float = 10000.0
        norm_eps: float = 1e-5
        tied_embeddings: bool = True  # the output projection reuses the embedding matrix
        init_std: float = 0.02
        param_dtype: DTypeLike = jnp.float32
        compute_dtype: DTypeLike = jnp.float32
        remat: bool = False  # recompute each layer's activations in the backward pass
        # True: one compiled layer run num_layers times (compiles in seconds at any depth).
        # False: layers unrolled, which runs faster (1.45x for gpt2_small on an H100).
        scan_layers: bool = False
        # Embedding lookup as a one-hot matmul. A gather's gradient is a scatter-add, which on a
        # GPU serializes on a small vocabulary's few rows (most of a byte model's backward pass).
        one_hot_embed: bool = False
        attention_impl: str | None = None  # 'xla', 'cudnn', or None: cuDNN where it runs, else XLA

    def __init__(self, cfg: Config) -> None:
        super().__init__(cfg)
        self.cfg = cfg
        self.head_dim = cfg.head_dim or cfg.dim // cfg.num_heads
        self.attention_impl = cfg.attention_impl or default_attention(jax.devices()[0], cfg.compute_dtype, self.head_dim)
        # Set by the trainer to a sharding of [batch, seq, dim] activations. Under FSDP, XLA
        # left alone may gather the batch instead of the weights; pinning the residual
        # stream to the batch sharding keeps activations split and gathers weights.
        self.activation_sharding: Any = None

    # -- parameters -----------------------------------------------------------------
    def param_shapes(self) -> Params:
        """Shape of every parameter, in the layout of :data:`PARAM_AXES`."""
        c, hd = self.cfg, self.head_dim
        L = c.num_layers
        shapes = {
            "embed": (c.vocab_size, c.dim),
            "layers": {
                "attn_norm": (L, c.dim),
                "wq": (L, c.dim, c.num_heads * hd),
                "wk": (L, c.dim, c.num_kv_heads * hd),
                "wv": (L, c.dim, c.num_kv_heads * hd),
                "wo": (L, c.num_heads * hd, c.dim),
                "mlp_norm": (L, c.dim),
                "w_gate": (L, c.dim, c.ffn_dim),
                "w_up": (L, c.dim, c.ffn_dim),
                "w_down": (L, c.ffn_dim, c.dim),
            },
            "final_norm": (c.dim,),
        }
        if not c.tied_embeddings:
            shapes["unembed"] = (c.dim, c.vocab_size)
        return shapes

    def param_axes(self) -> Params:
        """Logical axis names of every parameter (the subset of PARAM_AXES this model has)."""
        return {k: PARAM_AXES[k] for k in self.param_shapes()}

    def init(self, key: jax.Array) -> Params:
        """Random parameters: normal(init_std) matrices, output projections scaled by depth, unit norms."""
        c = self.cfg
        shapes = self.param_shapes()
        flat, treedef = jax.tree.flatten_with_path(shapes, is_leaf=lambda x: isinstance(x, tuple))
        keys = jax.random.split(key, len(flat))
        leaves = []
        for (path, shape), k in zip(flat, keys):
            name = path[-1].key
            if name.endswith("norm"):
                leaves.append(jnp.ones(shape, c.param_dtype))
                continue
            # GPT-2's scaling: residual-stream outputs shrink with depth so the stream's variance stays put.
            std = c.init_std / (2 * c.num_layers) ** 0.5 if name in ("wo", "w_down") else c.init_std
            leaves.append((std * jax.random.normal(k, shape, jnp.float32)).astype(c.param_dtype))
        return jax.tree.unflatten(treedef, leaves)

    def param_count(self) -> int:
        """Number of parameters."""
        return sum(_prod(s) for s in jax.tree.leaves(self.param_shapes(), is_leaf=lambda x: isinstance(x, tuple)))

    def flops_per_token(self, seq_len: int) -> float:
        """Training FLOPs per token: 6 x matmul parameters + 6 x layers x seq x attention width.

        The attention term is PaLM's 12 x layers x seq x width halved for the causal mask,
        as MaxText and Megatron count it: each token attends to half the sequence on average.
        """
        c = self.cfg
        matmul_params = self.param_count() - c.vocab_size * c.dim * (0 if c.tied_embeddings else 1)
        matmul_params -= (2 * c.num_layers + 1) * c.dim  # norms are not matmuls
        return 6.0 * matmul_params + 6.0 * c.num_layers * seq_len * c.num_heads * self.head_dim

    # -- forward --------------------------------------------------------------------
    def _embed(self, params: Params, tokens: jax.Array) -> jax.Array:
        """Token embeddings in the compute dtype (a one-hot matmul where configured: faster on GPUs)."""
        dt = self.cfg.compute_dtype
        if self.cfg.one_hot_embed:
            return jax.nn.one_hot(tokens, self.cfg.vocab_size, dtype=dt) @ params["embed"].astype(dt)
        return params["embed"].astype(dt)[tokens]

    def apply(self, params: Params, tokens: jax.Array) -> jax.Array:
        """Logits (float32) for int tokens of shape [batch, seq]."""
        c = self.cfg
        dt = c.compute_dtype
        x = self._embed(params, tokens)
        cos, sin = rope_tables(tokens.shape[1], self.head_dim, c.rope_theta)

        def layer(x: jax.Array, p: Params) -> tuple[jax.Array, None]:
            x = self._constrain(x)
            p = jax.tree.map(lambda w: w.astype(dt), p)
            x = x + self._attention(rms_norm(x, p["attn_norm"], c.norm_eps), p, cos, sin)
            return self._mlp(x, p), None

        if c.remat:
            layer = jax.checkpoint(layer, policy=jax.checkpoint_policies.nothing_saveable)
        if c.scan_layers:
            x, _ = jax.lax.scan(layer, self._constrain(x), params["layers"])
        else:
            for i in range(c.num_layers):
                x, _ = layer(x, jax.tree.map(lambda w: w[i], params["layers"]))
        return self._logits(params, self._constrain(x))

    def _mlp(self, x: jax.Array, p: Params) -> jax.Array:
        """The residual stream after one layer's gated MLP (``p`` in the compute dtype)."""
        h = rms_norm(x, p["mlp_norm"], self.cfg.norm_eps)
        return x + (jax.nn.silu(h @ p["w_gate"]) * (h @ p["w_up"])) @ p["w_down"]

    def _logits(self, params: Params, x: jax.Array) -> jax.Array:
        """Float32 logits of the residual stream: final norm, then unembedding."""
        c, dt = self.cfg, self.cfg.compute_dtype
        x = rms_norm(x, params["final_norm"].astype(dt), c.norm_eps)
        unembed = params["embed"].T if c.tied_embeddings else params["unembed"]
        return (x @ unembed.astype(dt)).astype(jnp.float32)

    def _constrain(self, x: jax.Array) -> jax.Array:
        if self.activation_sharding is None:
            return x
        return jax.lax.with_sharding_constraint(x, self.activation_sharding)

    def _attention(self, x: jax.Array, p: Params, cos: jax.Array, sin: jax.Array) -> jax.Array:
        c, hd = self.cfg, self.head_dim
        b, t, _ = x.shape
        q = apply_rope((x @ p["wq"]).reshape(b, t, c.num_heads, hd), cos, sin)
        k = apply_rope((x @ p["wk"]).reshape(b, t, c.num_kv_heads, hd), cos, sin)
        v = (x @ p["wv"]).reshape(b, t, c.num_kv_heads, hd)
        out = jax.nn.dot_product_attention(q, k, v, is_causal=True, implementation=self.attention_impl)
        return out.reshape(b, t, c.num_heads * hd) @ p["wo"]

    def loss(self, params: Params, inputs: jax.Array, targets: jax.Array) -> jax.Array:
        """Mean next-token cross-entropy in nats."""
        logits = self.apply(params, inputs)
        return optax.softmax_cross_entropy_with_integer_labels(logits, targets).mean()

    # -- decoding with a KV cache -------------------------------------------------------
    def init_cache(self, batch: int, length: int) -> KVCache:
        """Zero keys and values for ``batch`` sequences of up to ``length`` positions.

        Each is [layers, batch, length, kv_heads, head_dim] in the compute dtype, the dtype
        :meth:`apply` computes keys and values in.
        """
        c = self.cfg
        shape = (c.num_layers, batch, length, c.num_kv_heads, self.head_dim)
        return {"k": jnp.zeros(shape, c.compute_dtype), "v": jnp.zeros(shape, c.compute_dtype)}

    def extend(self, params: Params, cache: KVCache, tokens: jax.Array, positions: jax.Array) -> tuple[jax.Array, KVCache]:
        """Logits (float32) for ``tokens`` [batch, seq] placed at ``positions`` [batch] onward, and the cache holding their keys and values.

        Each token attends to the cache up to its own position, so one call from position 0
        is a prefill and each later call with one token per sequence a decode step; rows of
        a batch may sit at different positions. ``positions + seq`` must not pass the cache's
        length. The math is :meth:`apply`'s, causal masking done by position.
        """
        c = self.cfg
        dt = c.compute_dtype
        x = self._embed(params, tokens)
        where = positions[:, None] + jnp.arange(tokens.shape[1])  # [batch, seq]
        cos, sin = rope_tables(cache["k"].shape[2], self.head_dim, c.rope_theta)
        cos, sin = cos[where], sin[where]
        # A key is visible to a query at its position or before: [batch, 1, seq, cache length].
        visible = (jnp.arange(cache["k"].shape[2])[None, None, :] <= where[:, :, None])[:, None]

        def layer(x: jax.Array, p_and_cache: tuple[Params, KVCache]) -> tuple[jax.Array, KVCache]:
            p, layer_cache = p_and_cache
            p = jax.tree.map(lambda w: w.astype(dt), p)
            out, layer_cache = self._cached_attention(rms_norm(x, p["attn_norm"], c.norm_eps), p, layer_cache, positions, cos, sin, visible)
            x = x + out
            return self._mlp(x, p), layer_cache

        # Scanned whatever scan_layers says: unrolled, restacking the layers' caches costs
        # a copy of the whole cache per token (small_lm decodes 1.7x slower on a CPU).
        x, cache = jax.lax.scan(layer, x, (params["layers"], cache))
        return self._logits(params, x), cache

    def _cached_attention(self, x: jax.Array, p: Params, cache: KVCache, positions: jax.Array,
                          cos: jax.Array, sin: jax.Array, visible: jax.Array) -> tuple[jax.Array, KVCache]:
        c, hd = self.cfg, self.head_dim
        b, t, _ = x.shape
        q = apply_rope((x @ p["wq"]).reshape(b, t, c.num_heads, hd), cos, sin)  # tables per row: its own positions
        k = apply_rope((x @ p["wk"]).reshape(b, t, c.num_kv_heads, hd), cos, sin)
        v = (x @ p["wv"]).reshape(b, t, c.num_kv_heads, hd)
        write = jax.vmap(lambda old, new, start: jax.lax.dynamic_update_slice(old, new, (start, 0, 0)))
        cache = {"k": write(cache["k"], k, positions), "v": write(cache["v"], v, positions)}
        # Not attention_impl: the fused kernels take is_causal over equal query and key
        # lengths, and a decode step is one query against the whole cache, masked by position.
        out = jax.nn.dot_product_attention(q, cache["k"], cache["v"], mask=visible)
        return out.reshape(b, t, c.num_heads * hd) @ p["wo"], cache


def cudnn_attention_unavailable(device: Any, compute_dtype: Any, head_dim: int) -> str | None:
    """Why ``jax.nn.dot_product_attention(implementation='cudnn')`` cannot run here, or None.

    cuDNN's fused (flash) attention needs an NVIDIA GPU of compute capability 8.0 or newer,
    bf16 or fp16 inputs, and a head width that is a multiple of 8 up to 128 (256 from 9.0 on).
    """
    # CUDA devices report a "major.minor" compute capability; ROCm's is a gfx name.
    capability_text = str(getattr(device, "compute_capability", ""))
    if device.platform != "gpu" or not re.fullmatch(r"\d+\.\d+", capability_text):
        return f"needs an NVIDIA GPU, and this is {device.platform} ({device.device_kind})"
    capability = tuple(int(x) for x in capability_text.split("."))
    if capability < (8, 0):
        return f"needs compute capability 8.0 or newer, and {device.device_kind} has {capability_text}"
    if jnp.dtype(compute_dtype) not in (jnp.dtype(jnp.bfloat16), jnp.dtype(jnp.float16)):
        return f"needs model.compute_dtype bfloat16 or float16, not {jnp.dtype(compute_dtype).name}"
    limit = 256 if capability >= (9, 0) else 128
    if head_dim % 8 or head_dim > limit:
        return f"needs a head width that is a multiple of 8 up to {limit}, not {head_dim}"
    return None


def default_attention(device: Any, compute_dtype: Any, head_dim: int) -> str:
    """The attention implementation when ``attention_impl`` is None: 'cudnn' where it runs, else 'xla'.

    ``jax.nn.dot_product_attention(implementation=None)`` always picks XLA today, which on an
    H100 halves gpt2_small's throughput.
    """
    return "xla" if cudnn_attention_unavailable(device, compute_dtype, head_dim) else "cudnn"


def rms_norm(x: jax.Array, scale: jax.Array, eps: float) -> jax.Array:
    """RMSNorm, computed in float32 whatever the compute dtype."""
    x32 = x.astype(jnp.float32)
    x32 = x32 * jax.lax.rsqrt(jnp.mean(x32 * x32, axis=-1, keepdims=True) + eps)
    return (x32 * scale.astype(jnp.float32)).astype(x.dtype)


def rope_tables(seq_len: int, head_dim: int, theta: float) -> tuple[jax.Array, jax.Array]:
    """cos and sin of rotary position angles, shape [seq, head_dim // 2]."""
    freqs = theta ** (-jnp.arange(0, head_dim, 2, dtype=jnp.float32) / head_dim)
    angles = jnp.arange(seq_len, dtype=jnp.float32)[:, None] * freqs[None, :]
    return jnp.cos(angles), jnp.sin(angles)


def apply_rope(x: jax.Array, cos: jax.Array, sin: jax.Array) -> jax.Array:
    """Rotate pairs (first half, second half) of each head's features by position ([b, t, h, d]).

    The tables are [t, d/2] (every row at positions 0..t-1) or [b, t, d/2] (each row at its own).
    """
    x1, x2 = jnp.split(x.astype(jnp.float32), 2, axis=-1)
    cos, sin = cos[..., None, :], sin[..., None, :]  # broadcast over heads
    return jnp.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1).astype(x.dtype)


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
