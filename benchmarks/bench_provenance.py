"""What recording provenance costs: building llama_7b with origins recorded vs without.

Builds ``cfgdiff.recipes.lm.llama_7b()`` in the same process, alternating rounds with
recording on and off (``provenance.disabled()``), and prints best-of-N CPU times and
their ratio; then the one-off cost of turning the records into ``file:line`` origins.

    python benchmarks/bench_provenance.py [--rounds 15] [--builds 200]

Target: building with provenance at most 1.3x the build without it (Fiddle's history
costs 2.9x).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

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


if __name__ == "__main__":
    main()
