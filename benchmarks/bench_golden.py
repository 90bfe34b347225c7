"""Golden check of 50 recipes of ~5,000 fields each, in a throwaway project. Run by hand:

    python benchmarks/bench_golden.py [--repeat 5]

Baseline, measured in the same run: what a project checks its golden files with when it
has no cfgdiff, as AXLearn's golden config test does: build every recipe, write its text,
compare it with the golden file by plain string equality, and on a mismatch show a
``difflib`` diff (here ``unified_diff``: unittest's ``assertEqual`` prints no diff at all
for texts over 64 KiB). Both sides build the same recipes and write the same canonical
text, so the ratio shows what the field-level check costs (or saves) on top.

Timed in this process, best of ``--repeat`` (the two alternating), for a clean project and
for one shared default changed in all 50 recipes: ``golden.check`` plus its report against
the baseline. Also the wall time of the ``cfgdiff golden check`` command in a fresh process,
and how many lines each report gives a reviewer to read.

Target: a clean ``cfgdiff golden check`` under 2 s wall, most of it building the recipes.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RECIPES = 50
BLOCKS = 100  # each a Config of 49 fields + its fn line: 5,000 lines a recipe
FIELDS = 49
MODULE_NAME = "bench_recipes"

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


def baseline_check(registry: Any) -> tuple[int, str]:
    """Build each recipe, compare its text with the golden file by ``==``, diff mismatches
    with difflib. Returns (how many differ, the diff shown)."""
    from cfgdiff import golden

    differ, shown = 0, []
    for name, recipe in registry.items():
        text = recipe.dumps(header=golden.header(name))
        path = golden.golden_path(registry, name)
        expected = path.read_text(encoding="utf-8")
        if text != expected:
            differ += 1
            shown.extend(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), f"recipe {name}"))
    return differ, "".join(shown)


def cfgdiff_check(registry: Any) -> tuple[int, str]:
    """``cfgdiff golden check`` in process: (how many differ, the report shown)."""
    from cfgdiff import golden, render

    report = golden.check(registry)
    return len(report.by_status("changed")), render.write_changes(golden.changeset(report), "text", color=False)


def race(contenders: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, Any]]:
    """Each contender's fastest of ``repeat`` calls and what its last call returned; the
    calls alternate, so load on a shared machine falls on both alike."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, fn in contenders.items():
            start = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - start)
    return {name: (min(times[name]), results[name]) for name in contenders}


def fresh_registry() -> Any:
    """The recipes as a new cfgdiff process would see them (the module imported again)."""
    from cfgdiff.registry import discover

    sys.modules.pop(MODULE_NAME, None)
    return discover()


def cli_wall() -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(["cfgdiff", "golden", "check"], capture_output=True, text=True)
    return time.perf_counter() - start, proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sys.dont_write_bytecode = True  # the recipe module is rewritten within one second

    with tempfile.TemporaryDirectory(prefix="cfgdiff-bench-") as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text(f'[tool.cfgdiff]\nrecipes = ["{MODULE_NAME}"]\n')
        (root / f"{MODULE_NAME}.py").write_text(MODULE)
        os.chdir(root)
        subprocess.run(["cfgdiff", "golden", "update"], check=True, capture_output=True)

        registry = fresh_registry()
        fields = sum(len(registry[name].flat()) for name in registry)
        clean = race({"cfgdiff": lambda: cfgdiff_check(registry), "baseline": lambda: baseline_check(registry)}, args.repeat)
        assert clean["cfgdiff"][1][0] == clean["baseline"][1][0] == 0
        clean_cli, proc = cli_wall()
        assert proc.returncode == 0, proc.stdout + proc.stderr

        # A shared default changed in all 50 recipes.
        (root / f"{MODULE_NAME}.py").write_text(MODULE.replace("dropout=0.1", "dropout=0.25"))
        registry = fresh_registry()
        drift = race({"cfgdiff": lambda: cfgdiff_check(registry), "baseline": lambda: baseline_check(registry)}, args.repeat)
        assert drift["cfgdiff"][1][0] == drift["baseline"][1][0] == RECIPES
        drift_cli, proc = cli_wall()
        assert proc.returncode == 1, proc.stdout + proc.stderr

    print(f"{RECIPES} recipes, {fields:,} fields ({fields // RECIPES:,} each), python {sys.version.split()[0]}, best of {args.repeat}")
    for label, timings in (("clean", clean), (f"one default changed in all {RECIPES}", drift)):
        ours, base = timings["cfgdiff"][0], timings["baseline"][0]
        print(f"{label}:")
        print(f"  cfgdiff golden.check + its report:        {ours:6.3f} s")
        print(f"  baseline: build, ==, difflib on mismatch: {base:6.3f} s")
        print(f"  baseline / cfgdiff: {base / ours:.2f}x")
    ours_lines = drift["cfgdiff"][1][1].count("\n")
    base_lines = drift["baseline"][1][1].count("\n")
    print(f"report to read when the default changed: cfgdiff {ours_lines} lines, difflib {base_lines:,} lines")
    print(f"cfgdiff golden check, fresh process: {clean_cli:.3f} s wall clean, {drift_cli:.3f} s with the changed default")
    print(f"(machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
