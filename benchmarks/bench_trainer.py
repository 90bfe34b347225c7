"""Does the config layer cost anything? ``cfgdiff``'s trainer against a hand-written loop.

Both train the same model (same shapes, same math, written independently below in plain
jax) with the same optax optimizer from the same initial parameters on the same batches,
donating the state's buffers to the step and reading each step's loss one step late.
The benchmark stops if their first losses differ. Timed: the steps after ``--warmup``,
compile excluded; each repeat runs both, in alternating order, so that machine noise and
warm caches favour neither. Run by hand::

    python benchmarks/bench_trainer.py                       # tiny_lm shapes on the CPU
    python benchmarks/bench_trainer.py --recipe gpt2_small --steps 40 --repeats 3

Prints each repeat, then the median and spread (min-max) of tokens/s of each, the ratio of
the medians (cfgdiff / hand-written; target >= 0.97) and, on a device with a known peak, MFU.
"""

from __future__ import annotations

import argparse
import functools
import math
import statistics
import tempfile
import time
from typing import Any

import jax
import jax.numpy as jnp
import optax

from cfgdiff.config import build
from cfgdiff.registry import find
from cfgdiff.train.launch import apply_override
from cfgdiff.train.metrics import peak_flops
from cfgdiff.train.optimizer import find_learning_rate


# -- the hand-written model: what a researcher would type without cfgdiff ---------------
def forward(params: dict[str, Any], tokens: jax.Array, m: Any) -> jax.Array:
    dt, hd = m.compute_dtype, m.head_dim or m.dim // m.num_heads
    b, t = tokens.shape

    def norm(x, w):
        x32 = x.astype(jnp.float32)
        return (x32 * jax.lax.rsqrt((x32 * x32).mean(-1, keepdims=True) + m.norm_eps) * w).astype(dt)

    freqs = m.rope_theta ** (-jnp.arange(0, hd, 2) / hd)
    ang = jnp.arange(t)[:, None] * freqs[None]
    cos, sin = jnp.cos(ang)[None, :, None], jnp.sin(ang)[None, :, None]

    def rope(x):
        x1, x2 = jnp.split(x.astype(jnp.float32), 2, -1)
        return jnp.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1).astype(dt)

    if m.one_hot_embed:
        x = jax.nn.one_hot(tokens, m.vocab_size, dtype=dt) @ params["embed"].astype(dt)
    else:
        x = params["embed"].astype(dt)[tokens]
    for p in params["layers"]:
        p = {k: v.astype(dt) for k, v in p.items()}
        h = norm(x, p["attn_norm"])
        q = rope((h @ p["wq"]).reshape(b, t, m.num_heads, hd))
        k = rope((h @ p["wk"]).reshape(b, t, m.num_kv_heads, hd))
        v = (h @ p["wv"]).reshape(b, t, m.num_kv_heads, hd)
        att = jax.nn.dot_product_attention(q, k, v, is_causal=True, implementation=m.attention_impl)
        x = x + att.reshape(b, t, -1) @ p["wo"]
        h = norm(x, p["mlp_norm"])
        x = x + (jax.nn.silu(h @ p["w_gate"]) * (h @ p["w_up"])) @ p["w_down"]
    x = norm(x, params["final_norm"])
    unembed = params["embed"].T if m.tied_embeddings else params["unembed"]
    return (x @ unembed.astype(dt)).astype(jnp.float32)


def hand_written(trainer: Any, steps: int, warmup: int) -> tuple[float, float]:
    """Tokens/s of a plain jax + optax loop over the recipe's shapes and optimizer, and its first loss."""
    cfg = trainer.cfg
    m, d = cfg.model.clone(attention_impl=trainer.model.attention_impl), cfg.data  # the implementation the trainer picked
    tx = build(cfg.optimizer)  # the recipe's own optax chain

    def loss_fn(params, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(forward(params, x, m), y).mean()

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    def batch(i):
        b = trainer.data.batch(i)
        return jnp.asarray(b["inputs"]), jnp.asarray(b["targets"])

    params = unstack_layers(trainer.model.init(jax.random.key(cfg.seed)))  # the trainer's own initial values
    opt_state = tx.init(params)
    pending, first_loss = None, None
    for i in range(steps):
        if i == warmup:
            start = time.perf_counter()
        params, opt_state, loss = step(params, opt_state, *batch(i))
        if pending is not None:
            value = float(pending)  # log the previous step's loss, as the trainer does
            first_loss = value if first_loss is None else first_loss
        pending = loss
    float(pending)
    return (steps - warmup) * d.global_batch_size * d.seq_len / (time.perf_counter() - start), first_loss


def unstack_layers(params: dict[str, Any]) -> dict[str, Any]:
    """The trainer's stacked ``layers`` as the hand-written model's list of per-layer dicts."""
    stacked = params["layers"]
    count = next(iter(stacked.values())).shape[0]
    return {**params, "layers": [{k: v[i] for k, v in stacked.items()} for i in range(count)]}


def with_cfgdiff(cfg: Any, steps: int, warmup: int) -> tuple[float, float]:
    """Tokens/s of ``Trainer.run`` over the same span of steps (its own step timings), and its first loss."""
    cfg = cfg.clone()
    cfg.set(max_steps=steps, eval_every=10**9)
    cfg.checkpoint.every_steps = 10**9
    with tempfile.TemporaryDirectory() as run_dir:
        records = cfg.instantiate().run(run_dir, progress_every_s=float("inf"))
    # The last step also runs eval and the final checkpoint: timed up to the step before it.
    timed = records[warmup:-1]
    return len(timed) * cfg.data.global_batch_size * cfg.data.seq_len / sum(r["step_time"] for r in timed), records[0]["loss"]


def spread(values: list[float]) -> str:
    """Median and range of tokens/s."""
    return f"{statistics.median(values):>12,.0f} tokens/s (min {min(values):,.0f}, max {max(values):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="tiny_lm")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    cfg = find(args.recipe).build()
    for item in args.overrides:
        apply_override(cfg, item)
    if find_learning_rate(cfg.optimizer) is None:
        raise SystemExit("the recipe's optimizer has no learning_rate field")
    trainer = cfg.instantiate()
    device = jax.devices()[0]
    print(f"{args.recipe}: {trainer.model.param_count():,} parameters, {trainer.tokens_per_step():,} tokens/step, "
          f"{args.steps} steps ({args.warmup} warm-up), {jax.device_count()} x {device.device_kind}, jax {jax.__version__}")

    ours, theirs = [], []
    for i in range(args.repeats):
        # Alternate which loop runs first, so that neither always gets the warmer machine.
        order = ("cfgdiff", "hand") if i % 2 == 0 else ("hand", "cfgdiff")
        results = {}
        for name in order:
            results[name] = with_cfgdiff(cfg, args.steps, args.warmup) if name == "cfgdiff" else hand_written(trainer, args.steps, args.warmup)
        (a, loss_a), (b, loss_b) = results["cfgdiff"], results["hand"]
        if not math.isclose(loss_a, loss_b, rel_tol=2e-2):
            raise SystemExit(f"the two loops start from different losses ({loss_a:.4f} and {loss_b:.4f}): not the same model or data")
        ours.append(a)
        theirs.append(b)
        print(f"  repeat {i + 1} ({order[0]} first): cfgdiff {a:>12,.0f} tokens/s    hand-written {b:>12,.0f} tokens/s    first loss {loss_a:.4f} / {loss_b:.4f}")
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"cfgdiff       median {spread(ours)}")
    print(f"hand-written  median {spread(theirs)}")
    print(f"ratio of medians (cfgdiff / hand-written): {a / b:.3f} (target >= 0.97)")
    peak = peak_flops(device.device_kind)
    if peak:
        flops = trainer.model.flops_per_token(cfg.data.seq_len)
        print(f"MFU: cfgdiff {flops * a / (peak * jax.device_count()):.1%}, hand-written {flops * b / (peak * jax.device_count()):.1%} "
              f"(peak {peak / 1e12:.0f} TFLOP/s bf16)")


if __name__ == "__main__":
    main()
