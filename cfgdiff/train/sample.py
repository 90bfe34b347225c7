"""Text from a run directory's latest checkpoint: ``cfgdiff sample RUN_DIR --prompt TEXT``.

The model is rebuilt from the ``model.*`` lines of ``<run_dir>/config.txt``: canonical text
is data, so only plain values and ``jax.numpy`` dtypes are accepted there, and nothing
else in the file is imported or run.

:func:`generate` samples with a KV cache: one prefill of every prompt, then a decode loop
that runs on the device, one model call per token over the cached keys and values.
:func:`generate_uncached` re-runs the whole context for every token; it is the reference
the cached path is tested and benchmarked against (greedy output is the same).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from cfgdiff import canonical
from cfgdiff.config import ConfigError
from cfgdiff.errors import CfgdiffError
from cfgdiff.train.checkpoint import Checkpointer
from cfgdiff.train.data import ByteTokenizer
from cfgdiff.train.model import Decoder, KVCache, Params

_DECODER = canonical.Symbol("cfgdiff.train.model.Decoder")


class SampleError(CfgdiffError):
    """A run directory or sampling setting that cannot be sampled from."""


def model_from_run(run_dir: str) -> tuple[Decoder, int]:
    """The run's model (parameters not loaded) and its context length ``data.seq_len``."""
    flat = canonical.load(os.path.join(run_dir, "config.txt"))
    if flat.get("model.klass") != _DECODER:
        raise SampleError(f"{run_dir}: model.klass is {flat.get('model.klass')!r}; sampling knows {_DECODER.name}")
    if "data.seq_len" not in flat:
        raise SampleError(f"{run_dir}/config.txt: no data.seq_len, the context length to sample with")
    cfg = Decoder.default_config()
    for path, value in flat.items():
        if not path.startswith("model.") or path == "model.klass":
            continue
        if isinstance(value, canonical.Symbol):
            if not value.name.startswith("jax.numpy."):
                raise SampleError(f"{run_dir}/config.txt: {path}: {value.name} is not a jax.numpy dtype")
            value = jnp.dtype(value.name.removeprefix("jax.numpy."))
        try:
            cfg.set_path(path.removeprefix("model."), value)
        except ConfigError as e:
            raise SampleError(f"{run_dir}/config.txt: {path}: {e}") from None
    return cfg.instantiate(), int(flat["data.seq_len"])


def load_params(run_dir: str, model: Decoder) -> tuple[Params, int]:
    """The latest checkpoint's parameters, on the default device, and its step."""
    checkpointer = Checkpointer.default_config().instantiate(directory=os.path.join(run_dir, "checkpoints"))
    try:
        step = checkpointer.latest_step()
        if step is None:
            raise FileNotFoundError(2, "no checkpoint yet", os.path.join(run_dir, "checkpoints"))
        device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
        abstract = jax.tree.map(lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=device), jax.eval_shape(model.init, jax.random.key(0)))
        return checkpointer.restore(step, abstract)["params"], step
    finally:
        checkpointer.close()


def generate(model: Decoder, params: Params, prompts: Sequence[str], tokens: int, seq_len: int,
             temperature: float = 0.8, top_k: int = 40, seed: int = 0) -> list[str]:
    """Continue each of ``prompts`` by ``tokens`` bytes, sampling from the top ``top_k`` at ``temperature``.

    Temperature 0 is greedy. All prompts run as one batch: a prefill of each prompt's last
    ``seq_len`` tokens, then a decode loop on the device until a sequence fills the context.
    A sequence that has filled it goes on from its last ``seq_len // 2`` tokens (one more
    prefill), so every token sees at least half a context. Up to a full context this is
    exactly :func:`generate_uncached`, which slides its window by one token at a time.
    """
    _check_top_k(model, top_k)
    tokenizer = ByteTokenizer.default_config().instantiate()
    histories = [list(tokenizer.encode(p)) or [ord("\n")] for p in prompts]
    starts = [len(h) for h in histories]
    key = jax.random.key(seed)
    remaining, first_chunk = tokens, True
    while remaining:
        windows = [h[-seq_len:] if first_chunk or len(h) <= seq_len else h[-(seq_len // 2):] for h in histories]
        lengths = np.array([len(w) for w in windows], np.int32)
        buffer = np.zeros((len(windows), seq_len), np.int32)
        for row, window in zip(buffer, windows):
            row[: len(window)] = window
        first, cache, key = _prefill(model, params, jnp.asarray(buffer), jnp.asarray(lengths), key, temperature, top_k)
        steps = min(remaining - 1, seq_len - int(lengths.max()))
        new = np.asarray(first)[:, None]
        if steps:
            rest, key = _decode(model, params, cache, first, jnp.asarray(lengths), jnp.int32(steps), key, temperature, top_k)
            new = np.concatenate([new, np.asarray(rest)[:, :steps]], axis=1)
        for history, row in zip(histories, new):
            history.extend(row.tolist())
        remaining -= new.shape[1]
        first_chunk = False
    return [tokenizer.decode(h[start:]) for h, start in zip(histories, starts)]


def generate_uncached(model: Decoder, params: Params, prompt: str, tokens: int, seq_len: int,
                      temperature: float = 0.8, top_k: int = 40, seed: int = 0) -> str:
    """Continue ``prompt`` as :func:`generate` does, re-running the model on the last ``seq_len`` tokens for each one.

    The reference for :func:`generate`: simple enough to trust, and the baseline of
    ``benchmarks/bench_sample.py``. The buffer has a fixed shape, so it compiles once.
    """
    _check_top_k(model, top_k)
    tokenizer = ByteTokenizer.default_config().instantiate()
    context = list(tokenizer.encode(prompt)) or [ord("\n")]
    key = jax.random.key(seed)
    out: list[int] = []
    for _ in range(tokens):
        window = (context + out)[-seq_len:]
        buffer = np.zeros(seq_len, np.int32)
        buffer[: len(window)] = window
        key, sub = jax.random.split(key)
        out.append(int(_next_token_uncached(model, params, jnp.asarray(buffer), jnp.int32(len(window) - 1), sub, temperature, top_k)))
    return tokenizer.decode(out)


def _check_top_k(model: Decoder, top_k: int) -> None:
    if not 1 <= top_k <= model.cfg.vocab_size:
        raise SampleError(f"top_k is {top_k}; it must be between 1 and the vocabulary size, {model.cfg.vocab_size}")


def _pick(logits: jax.Array, key: jax.Array, temperature: float, top_k: int) -> jax.Array:
    """One token per row of ``logits`` [batch, vocab]: the argmax at temperature 0, else a draw from the top k."""
    if temperature == 0:
        return jnp.argmax(logits, axis=-1).astype(jnp.int32)
    values, indices = jax.lax.top_k(logits / temperature, top_k)
    choice = jax.random.categorical(key, values)
    return jnp.take_along_axis(indices, choice[:, None], axis=-1)[:, 0].astype(jnp.int32)


_STATIC = ("model", "temperature", "top_k")


@partial(jax.jit, static_argnames=_STATIC)
def _next_token_uncached(model: Decoder, params: Params, buffer: jax.Array, position: jax.Array, key: jax.Array,
                         temperature: float, top_k: int) -> jax.Array:
    logits = model.apply(params, buffer[None])[:, position]
    return _pick(logits, key, temperature, top_k)[0]


@partial(jax.jit, static_argnames=_STATIC)
def _prefill(model: Decoder, params: Params, buffer: jax.Array, lengths: jax.Array, key: jax.Array,
             temperature: float, top_k: int) -> tuple[jax.Array, KVCache, jax.Array]:
    """The token after each row's first ``lengths`` tokens of ``buffer`` [batch, seq_len], and the cache of them."""
    batch, seq_len = buffer.shape
    logits, cache = model.extend(params, model.init_cache(batch, seq_len), buffer, jnp.zeros(batch, jnp.int32))
    last = jnp.take_along_axis(logits, (lengths - 1)[:, None, None], axis=1)[:, 0]
    key, sub = jax.random.split(key)
    return _pick(last, sub, temperature, top_k), cache, key


@partial(jax.jit, static_argnames=_STATIC)
def _decode(model: Decoder, params: Params, cache: KVCache, first: jax.Array, lengths: jax.Array, steps: jax.Array,
            key: jax.Array, temperature: float, top_k: int) -> tuple[jax.Array, jax.Array]:
    """``steps`` tokens after ``first`` (at positions ``lengths``), in a loop on the device: [batch, seq_len], the first ``steps`` columns set."""

    def step(i: jax.Array, carry: tuple) -> tuple:
        token, cache, key, out = carry
        logits, cache = model.extend(params, cache, token[:, None], lengths + i)
        key, sub = jax.random.split(key)
        token = _pick(logits[:, 0], sub, temperature, top_k)
        return token, cache, key, out.at[:, i].set(token)

    out = jnp.zeros((first.shape[0], cache["k"].shape[2]), jnp.int32)
    _, _, key, out = jax.lax.fori_loop(0, steps, step, (first, cache, key, out))
    return out, key
