"""The built-in language-model recipes: byte-level decoders from a few seconds on a CPU to 7B.

Each recipe is a zero-argument function returning a :class:`~cfgdiff.train.trainer.Trainer`
config; ``cfgdiff run RECIPE`` trains it and ``golden_configs/<recipe>.txt`` locks it. The
learning-rate schedule decays over ``max_steps``, so ``--steps N`` stretches it (its
``decay_steps`` and ``warmup_steps`` in the canonical text follow).

* ``tiny_lm``: trains in seconds on a CPU on synthetic text; the tests use it.
* ``small_lm``: ~3M parameters on the standard library's source; Python-looking samples
  after ~10 minutes on two CPU cores.
* ``gpt2_small``: GPT-2-small's shape (12 layers, 768 wide, 1024 context), bf16 compute;
  on an NVIDIA GPU attention runs on cuDNN's flash attention without any ``--set``.
* ``llama_1b``, ``llama_7b``: LLaMA-style (grouped-query attention, SwiGLU, bf16 compute,
  fsdp mesh, rematerialization), proven on a CPU with ``cfgdiff run RECIPE --aot``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import optax

from cfgdiff.config import ConfigBase, config_for_function
from cfgdiff.train.data import StdlibSource, SyntheticSource
from cfgdiff.train.optimizer import chain, decay_mask
from cfgdiff.train.trainer import Trainer


def adamw_cosine(peak_lr: float, warmup_steps: int, total_steps: int, weight_decay: float = 0.1) -> ConfigBase:
    """Global-norm clipping, then AdamW under a linear-warmup cosine-decay schedule (to 10%).

    ``total_steps`` is the run's ``max_steps``: a schedule whose ``decay_steps`` equals it
    is stretched by ``--steps`` (:func:`cfgdiff.train.launch.set_max_steps`).
    """
    schedule = config_for_function(optax.warmup_cosine_decay_schedule).set(
        init_value=0.0, peak_value=peak_lr, warmup_steps=warmup_steps, decay_steps=total_steps, end_value=float(f"{peak_lr / 10:.6g}")
    )
    adamw = config_for_function(optax.adamw).set(
        learning_rate=schedule, b1=0.9, b2=0.95, weight_decay=weight_decay, mask=decay_mask
    )
    clip = config_for_function(optax.clip_by_global_norm).set(max_norm=1.0)
    return config_for_function(chain).set(transforms=[clip, adamw])


def tiny_lm() -> Trainer.Config:
    """A 2-layer, 64-wide model on synthetic text: 50 steps in seconds on a CPU."""
    cfg = Trainer.default_config()
    cfg.model.set(vocab_size=256, dim=64, num_layers=2, num_heads=4, num_kv_heads=2, ffn_dim=128)
    cfg.data.set(source=SyntheticSource.default_config(), seq_len=64, global_batch_size=16)
    cfg.set(max_steps=50, eval_every=25, eval_batches=2)
    cfg.optimizer = adamw_cosine(3e-3, warmup_steps=5, total_steps=cfg.max_steps)
    cfg.checkpoint.set(every_steps=25)
    return cfg


def small_lm() -> Trainer.Config:
    """~3M parameters on the standard library's source: Python-looking samples in ~10 CPU minutes."""
    cfg = Trainer.default_config()
    cfg.model.set(vocab_size=256, dim=256, num_layers=4, num_heads=8, num_kv_heads=4, ffn_dim=688)
    cfg.data.set(source=StdlibSource.default_config(), seq_len=256, global_batch_size=16)
    cfg.set(max_steps=450, eval_every=50, eval_batches=4)
    cfg.optimizer = adamw_cosine(2e-3, warmup_steps=30, total_steps=cfg.max_steps)
    cfg.checkpoint.set(every_steps=100)
    return cfg


def gpt2_small() -> Trainer.Config:
    """GPT-2 small's shape with a byte vocabulary (~113M parameters), bf16 compute: the MFU check."""
    cfg = Trainer.default_config()
    cfg.model.set(
        vocab_size=256, dim=768, num_layers=12, num_heads=12, num_kv_heads=12, ffn_dim=3072,
        compute_dtype=jnp.bfloat16, one_hot_embed=True,
    )
    cfg.data.set(source=StdlibSource.default_config(), seq_len=1024, global_batch_size=32)
    cfg.set(max_steps=5000, eval_every=500)
    cfg.optimizer = adamw_cosine(6e-4, warmup_steps=200, total_steps=cfg.max_steps)
    cfg.checkpoint.set(every_steps=1000)
    return cfg


def _llama(dim: int, num_layers: int, num_heads: int, num_kv_heads: int, ffn_dim: int, seq_len: int, batch: int) -> Trainer.Config:
    cfg = Trainer.default_config()
    cfg.model.set(
        vocab_size=256, dim=dim, num_layers=num_layers, num_heads=num_heads, num_kv_heads=num_kv_heads,
        ffn_dim=ffn_dim, rope_theta=500000.0, tied_embeddings=False, compute_dtype=jnp.bfloat16, remat=True,
        one_hot_embed=True, scan_layers=True,  # 16 to 32 layers: compile one, run it num_layers times
    )
    cfg.data.set(source=StdlibSource.default_config(), seq_len=seq_len, global_batch_size=batch)
    cfg.set(max_steps=10000, eval_every=1000, mesh_shape=(1, -1, 1))  # fsdp over every device
    cfg.optimizer = adamw_cosine(3e-4, warmup_steps=500, total_steps=cfg.max_steps)
    cfg.checkpoint.set(every_steps=500)
    return cfg


def llama_1b() -> Trainer.Config:
    """LLaMA-3.2-1B's body (16 layers, 2048 wide, 32 query / 8 KV heads) with a byte vocabulary."""
    return _llama(dim=2048, num_layers=16, num_heads=32, num_kv_heads=8, ffn_dim=8192, seq_len=2048, batch=32)


def llama_7b() -> Trainer.Config:
    """LLaMA-3-8B's body (32 layers, 4096 wide, 32 query / 8 KV heads) with a byte vocabulary: ~7B."""
    return _llama(dim=4096, num_layers=32, num_heads=32, num_kv_heads=8, ffn_dim=14336, seq_len=4096, batch=16)


def named_recipes() -> dict[str, Callable[[], Trainer.Config]]:
    """The recipes of this module, by name (discovered through ``[tool.cfgdiff] recipes``)."""
    return {fn.__name__: fn for fn in (tiny_lm, small_lm, gpt2_small, llama_1b, llama_7b)}
