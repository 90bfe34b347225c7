"""Text from a run directory's latest checkpoint: ``cfgdiff sample RUN_DIR --prompt TEXT``.

The model is rebuilt from the ``model.*`` lines of ``<run_dir>/config.txt``: canonical text
is data, so only plain values and ``jax.numpy`` dtypes are accepted there, and nothing
else in the file is imported or run.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np

from cfgdiff import canonical
from cfgdiff.train.checkpoint import Checkpointer
from cfgdiff.train.data import ByteTokenizer
from cfgdiff.train.model import Decoder, Params

_DECODER = canonical.Symbol("cfgdiff.train.model.Decoder")


def model_from_run(run_dir: str) -> tuple[Decoder, int]:
    """The run's model (parameters not loaded) and its context length ``data.seq_len``."""
    flat = canonical.load(os.path.join(run_dir, "config.txt"))
    if flat.get("model.klass") != _DECODER:
        raise ValueError(f"{run_dir}: model.klass is {flat.get('model.klass')!r}; sampling knows {_DECODER.name}")
    cfg = Decoder.default_config()
    for path, value in flat.items():
        if not path.startswith("model.") or path == "model.klass":
            continue
        if isinstance(value, canonical.Symbol):
            if not value.name.startswith("jax.numpy."):
                raise ValueError(f"{run_dir}/config.txt: {path}: {value.name} is not a jax.numpy dtype")
            value = jnp.dtype(value.name.removeprefix("jax.numpy."))
        cfg.set_path(path.removeprefix("model."), value)
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


def generate(model: Decoder, params: Params, prompt: str, tokens: int, seq_len: int,
             temperature: float = 0.8, top_k: int = 40, seed: int = 0) -> str:
    """Continue ``prompt`` by ``tokens`` bytes, sampling from the top ``top_k`` at ``temperature``.

    No KV cache: each token re-runs the model on the last ``seq_len`` tokens in a buffer of
    fixed shape, so it compiles once. Plenty for small models; not a serving path.
    """
    tokenizer = ByteTokenizer.default_config().instantiate()
    context = list(tokenizer.encode(prompt)) or [ord("\n")]

    @jax.jit
    def next_token(params: Params, buffer: jax.Array, position: jax.Array, key: jax.Array) -> jax.Array:
        logits = model.apply(params, buffer[None])[0, position] / max(temperature, 1e-6)
        values, indices = jax.lax.top_k(logits, top_k)
        return indices[jax.random.categorical(key, values)]

    key = jax.random.key(seed)
    out: list[int] = []
    for _ in range(tokens):
        window = (context + out)[-seq_len:]
        buffer = np.zeros(seq_len, np.int32)
        buffer[: len(window)] = window
        key, sub = jax.random.split(key)
        out.append(int(next_token(params, jnp.asarray(buffer), jnp.int32(len(window) - 1), sub)))
    return tokenizer.decode(out)
