"""How fast is `cfgdiff compare` on a sweep of 100 configs of 45,000 fields?

Run by hand (not part of the test suite)::

    python benchmarks/bench_compare.py [--configs 100] [--layers 1000] [--repeat 3]

The configs are the 7B-class layer stack of ``bench_diff.py`` (1,000 layers x 45 fields
plus a few top-level ones), written as canonical files into a temporary folder: a sweep
in which every config has its own learning rate and seed and a few layer fields changed
(about 5 differing fields per config). Timed in one run, best of ``--repeat``:

* the ``cfgdiff compare`` command end to end on all the files (a subprocess: interpreter
  start, imports, reading every file, comparing, printing the table), wall-clock time and
  the CPU time the process used (which other processes on a busy machine do not inflate);
* :func:`cfgdiff.compare.compare_sources` in process (reading the files included);
* the baseline, named "pairwise diff": what one would do without ``compare``: the
  :func:`cfgdiff.diff.diff` of the first config against each of the 99 others, reading
  the files the same way (no table is built from the 99 diffs, which favours it).

Target (issue 10): the command under 2 s for 100 configs on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_canonical import best_of
from bench_diff import _ENV, best, cli_command, layer, run

from cfgdiff import canonical
from cfgdiff.canonical import Symbol
from cfgdiff.sources import flatten_document

LAYER_CHANGES = 3


def sweep(configs: int, layers: int, seed: int = 0) -> list[dict[str, Any]]:
    """``configs`` nested configs: each its own learning rate and seed, and a few layer fields changed."""
    rng = random.Random(seed)
    out = []
    for i in range(configs):
        tree = {
            "klass": Symbol("m.trainer.SpmdTrainer"),
            "model": {"decoder": {"vocab_size": 128256, "dim": 4096, "layers": [layer(k) for k in range(layers)]}},
            "learner": {"optimizer": {"fn": Symbol("optax.adamw"), "learning_rate": 3e-4 * (1 + i % 10), "b1": 0.9, "b2": 0.95}},
            "max_step": 500000,
            "seed": i,
        }
        for _ in range(LAYER_CHANGES):
            attention = tree["model"]["decoder"]["layers"][rng.randrange(layers)]["self_attention"]["attention"]
            key = rng.choice(["num_heads", "num_kv_heads", "head_dim", "rope_theta"])
            attention[key] = attention[key] * 2
        out.append(tree)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=100)
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, tree in enumerate(sweep(args.configs, args.layers)):
            files.append(Path(tmp, f"run{i:03d}.txt"))
            files[-1].write_text(canonical.dumps(flatten_document(tree)))
        fields = len(canonical.load(files[0]))
        size = sum(f.stat().st_size for f in files) / 1e6
        print(f"{args.configs} configs of {fields:,} fields ({size:.0f} MB of canonical text)")
        names = [str(f) for f in files]

        command = [*cli_command(), "compare", *names]

        warm = subprocess.run(command, capture_output=True, text=True, env=_ENV, check=False)  # bytecode and page caches
        if warm.returncode != 1:
            raise SystemExit(f"cfgdiff compare exited {warm.returncode}: {warm.stderr[:500]}")
        print(f"cfgdiff says: {warm.stdout.strip().splitlines()[-1]}")
        cli_time, cli_cpu = best(run(command, expect=1), args.repeat)

        from cfgdiff import sources
        from cfgdiff.compare import compare_sources
        from cfgdiff.diff import diff

        in_process, _ = best_of(args.repeat, lambda: compare_sources(names))

        def pairwise() -> int:
            first = sources.read(names[0])
            return sum(len(diff(first, sources.read(name)).changed) for name in names[1:])

        baseline, changed = best_of(args.repeat, pairwise)
        assert changed > 0

    print(f"{'cfgdiff compare CLI, end to end':<46} {cli_time:8.2f} s wall, {cli_cpu:.2f} s CPU (user + system)")
    print(f"{'compare_sources() in process':<46} {in_process:8.2f} s")
    print(f"{f'baseline: {args.configs - 1} pairwise diff() against the first':<46} {baseline:8.2f} s")
    print(f"pairwise diff / compare in process: {baseline / in_process:.2f}x")
    print(f"CLI under 2 s: wall {'yes' if cli_time < 2.0 else 'NO'}, CPU {'yes' if cli_cpu < 2.0 else 'NO'}"
          "  (on a shared machine the CPU time is the figure the load does not inflate)")
    print(f"(machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
