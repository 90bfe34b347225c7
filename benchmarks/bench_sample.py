"""Sampling with a KV cache against the uncached reference, same model, same run.

Both generate the same number of bytes greedily from the same random parameters of a
recipe's model; the uncached path (``generate_uncached``) re-runs the model on the whole
context for every token, the cached one (``generate``) prefills once and decodes on the
device. Each is compiled by a warm-up call first and timed over ``--repeats`` alternating
runs. Run by hand::

    python benchmarks/bench_sample.py                      # small_lm, 255 bytes, batch 1 and 8
    python benchmarks/bench_sample.py --recipe tiny_lm --tokens 500

Prints tokens/s of each path, the ratio (cached / uncached; target >= 10) and checks that
the greedy texts are equal (they must be while the context is not full).
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax

from cfgdiff.registry import find
from cfgdiff.train.sample import generate, generate_uncached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="small_lm")
    parser.add_argument("--tokens", type=int, help="Bytes to generate (default: fill the context after a 1-byte prompt).")
    parser.add_argument("--batch", type=int, default=8, help="Prompts in the batched cached run.")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    cfg = find(args.recipe).build()
    model, seq_len = cfg.model.instantiate(), cfg.data.seq_len
    tokens = args.tokens or seq_len - 1
    params = model.init(jax.random.key(0))
    prompt = "d"
    print(f"{args.recipe}: {model.param_count():,} parameters, context {seq_len}, {tokens} bytes greedy, "
          f"{jax.device_count()} x {jax.devices()[0].device_kind}, jax {jax.__version__}")

    def uncached() -> str:
        return generate_uncached(model, params, prompt, tokens, seq_len, temperature=0)

    def cached() -> str:
        return generate(model, params, [prompt], tokens, seq_len, temperature=0)[0]

    def batched() -> str:
        return generate(model, params, [prompt] * args.batch, tokens, seq_len, temperature=0)[0]

    runs = {"uncached": uncached, "cached": cached, f"cached x{args.batch}": batched}
    texts = {name: fn() for name, fn in runs.items()}  # compiles each
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            rows = args.batch if name.startswith("cached x") else 1
            rates[name].append(rows * tokens / (time.perf_counter() - start))
        print("  " + "   ".join(f"{name} {rates[name][-1]:>9,.0f} tokens/s" for name in runs))
    base = statistics.median(rates["uncached"])
    for name in runs:
        rate = statistics.median(rates[name])
        print(f"median {name:<12} {rate:>9,.0f} tokens/s   ratio to uncached {rate / base:6.1f}")
    print("target: cached >= 10x uncached")
    same = texts["uncached"] == texts["cached"] == texts[f"cached x{args.batch}"]
    print(f"greedy texts equal: {same}")
    if not same and tokens < seq_len:
        raise SystemExit("cached and uncached greedy texts differ")


if __name__ == "__main__":
    main()
