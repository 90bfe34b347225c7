"""What recording provenance costs: building llama_7b with origins recorded vs without.

Builds ``cfgdiff.recipes.lm.llama_7b()`` in the same process, alternating rounds with
recording on and off (``provenance.disabled()``), and prints best-of-N CPU times and
their ratio; then the one-off cost of turning the records into ``file:line`` origins.

    python benchmarks/bench_provenance.py [--rounds 15] [--builds 200]

Target: building llama_7b with provenance at most 1.3x the build without it (Fiddle's
history costs 2.9x). Also printed: the same ratio for bench_canonical's 45,000-field tree,
whose 5,000 ``Config(...)`` calls each set only a few fields (the worst case: the cost is
per call), and what turning the records into origins costs there.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench_canonical import build_cfgdiff

from cfgdiff import canonical, provenance
from cfgdiff.recipes.lm import llama_7b


def per_build(builds: int, fn: Callable[[], object]) -> float:
    # CPU time of this process: on a shared machine, time spent waiting for a core is not the build's.
    start = time.process_time()
    for _ in range(builds):
        fn()
    return (time.process_time() - start) / builds


def without_provenance() -> object:
    with provenance.disabled():
        return llama_7b()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--builds", type=int, default=200)
    args = parser.parse_args()

    llama_7b(), without_provenance()  # imports and caches warm
    on, off = [], []
    for _ in range(args.rounds):  # interleaved, so machine noise hits both alike
        on.append(per_build(args.builds, llama_7b))
        off.append(per_build(args.builds, without_provenance))
    t_on, t_off = min(on), min(off)

    cfg = llama_7b()
    start = time.perf_counter()
    first = provenance.origins(cfg)
    t_first = time.perf_counter() - start
    t_again = per_build(20, lambda: provenance.origins(cfg))
    assert set(first) == set(canonical.flatten(cfg))

    print(f"llama_7b: {len(first)} fields")
    print(f"build without provenance  {t_off * 1e6:8.1f} us")
    print(f"build with provenance     {t_on * 1e6:8.1f} us   ratio {t_on / t_off:.2f}x (target <= 1.3x)")
    print(f"origins(), first call     {t_first * 1e3:8.1f} ms   (parses each declaring source file once)")
    print(f"origins(), cached         {t_again * 1e3:8.1f} ms")

    big_on, big_off = [], []
    for _ in range(max(args.rounds // 5, 1)):
        big_on.append(per_build(1, lambda: build_cfgdiff(1000)))
        with provenance.disabled():
            big_off.append(per_build(1, lambda: build_cfgdiff(1000)))
    big = build_cfgdiff(1000)
    t_origins = per_build(1, lambda: provenance.origins(big))
    print(f"45,004-field tree: build {min(big_off) * 1e3:.1f} ms without, {min(big_on) * 1e3:.1f} ms with "
          f"provenance ({min(big_on) / min(big_off):.2f}x); origins() {t_origins * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
