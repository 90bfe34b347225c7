"""Golden check of 50 recipes of ~5,000 fields each, in a throwaway project. Run by hand:

    python benchmarks/bench_golden.py

Target: a clean ``cfgdiff golden check`` under 2 s wall, most of it building the recipes.
Prints the time of each phase (import, build, canonical text, compare) measured in this
process, and the wall time of the ``cfgdiff golden check`` command in a fresh process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

RECIPES = 50
BLOCKS = 100  # each a Config of 49 fields + its fn line: 5,000 lines a recipe
FIELDS = 49

MODULE = textwrap.dedent(
    f'''
    import cfgdiff
    from cfgdiff import Config


    def block({", ".join(f"f{i}=0" for i in range(FIELDS))}):
        return None


    def model(blocks, name="m", dropout=0.1):
        return None


    def make(seed):
        blocks = [Config(block, **{{f"f{{i}}": (seed * 7 + b + i) % 97 / 10 for i in range(0, {FIELDS}, 3)}}) for b in range({BLOCKS})]
        return Config(model, blocks=blocks, name=f"recipe-{{seed}}")


    def named_recipes():
        return {{f"r{{seed:02d}}": (lambda seed=seed: make(seed)) for seed in range({RECIPES})}}
    '''
)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cfgdiff-bench-") as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text('[tool.cfgdiff]\nrecipes = ["bench_recipes"]\n')
        (root / "bench_recipes.py").write_text(MODULE)
        os.chdir(root)
        subprocess.run(["cfgdiff", "golden", "update"], check=True, capture_output=True)

        from cfgdiff import golden
        from cfgdiff.registry import discover

        t0 = time.perf_counter()
        registry = discover()
        t1 = time.perf_counter()
        trees = {name: recipe.build() for name, recipe in registry.items()}
        t2 = time.perf_counter()
        texts = {name: recipe.dumps(header=golden.header(name)) for name, recipe in registry.items()}
        t3 = time.perf_counter()
        same = sum(golden.golden_path(registry, n).read_text() == text for n, text in texts.items())
        t4 = time.perf_counter()
        report = golden.check(registry)
        t5 = time.perf_counter()
        fields = sum(len(t.splitlines()) - 1 for t in texts.values())
        assert same == RECIPES and report.exit_code == 0 and len(trees) == RECIPES

        start = time.perf_counter()
        proc = subprocess.run(["cfgdiff", "golden", "check"], capture_output=True, text=True)
        cli = time.perf_counter() - start
        assert proc.returncode == 0, proc.stdout + proc.stderr

        # A shared default changed in all 50: the report says it once.
        (root / "bench_recipes.py").write_text(MODULE.replace("dropout=0.1", "dropout=0.25"))
        start = time.perf_counter()
        drift = subprocess.run(["cfgdiff", "golden", "check"], capture_output=True, text=True)
        drift_wall = time.perf_counter() - start

    print(f"{RECIPES} recipes, {fields:,} fields ({fields // RECIPES:,} each), python {sys.version.split()[0]}")
    print(f"  discover (import):        {t1 - t0:6.3f} s")
    print(f"  build (recipe functions): {t2 - t1:6.3f} s")
    print(f"  canonical text:           {t3 - t2:6.3f} s")
    print(f"  compare with golden files:{t4 - t3:6.3f} s")
    print(f"  golden.check() in-process:{t5 - t4:6.3f} s (build + text + compare)")
    print(f"  cfgdiff golden check (fresh process, clean): {cli:.3f} s wall")
    print(f"  cfgdiff golden check (one default changed in all {RECIPES}, exit {drift.returncode}): {drift_wall:.3f} s wall")
    print("  its report:", " | ".join(line for line in drift.stdout.splitlines() if "in 50 recipes" in line or line.startswith("golden check")))


if __name__ == "__main__":
    main()
