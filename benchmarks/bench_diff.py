"""How fast is `cfgdiff OLD NEW` on a 7B-class config, against DeepDiff and GNU diff?

Run by hand (not part of the test suite)::

    pip install -e '.[bench]'    # DeepDiff, the baseline
    python benchmarks/bench_diff.py [--layers 1000] [--repeat 7]

Two canonical files of 1,000 layer sub-configs x 45 fields (45,000 fields plus a few
top-level ones) differing in 10 values are written to a temporary folder. Timed in one run:

* the ``cfgdiff`` command end to end (a subprocess: interpreter start, imports, reading
  both files, diffing, printing), best of ``--repeat``;
* the same command in a bare interpreter (``python -S``, only cfgdiff and its dependencies
  importable): what a fresh virtual environment starts, without this one's ``.pth`` hooks;
* ``DeepDiff`` on the same configs as nested dicts, in this process (imports and parsing
  not counted, which favours DeepDiff), best of 3;
* GNU ``diff -u`` on the two files (a subprocess), best of ``--repeat``;
* ``diff()`` on the 45,000-field texts and on two ~500,000-field texts (``--big-layers``),
  also with 10 changes, to show that the engine stays linear. Like for like, each size runs
  once in a fresh interpreter after reading its two files, as ``cfgdiff OLD NEW`` runs it,
  so both pay the first touch of their memory (page faults are counted). Also shown: both
  warm, in this process, where the small diff reuses the memory its previous run freed and
  the large one cannot (Python's allocator returns its arenas to the system), beside the
  warm ratio of ``==`` on the two texts (one pass in C) and of splitting a text into lines.

Targets (issues 3 and 11): the CLI under 150 ms, at most 5x GNU ``diff -u``, at least 10x
faster than DeepDiff (skipped, saying what to install, when DeepDiff is missing); the
500,000-field diff at most 12x the 45,000-field one.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cfgdiff import canonical
from cfgdiff.canonical import Symbol
from cfgdiff.sources import flatten_document

FIELDS_PER_LAYER = 45
CHANGES = 10


def layer(i: int) -> dict[str, Any]:
    """One transformer layer's config: 45 fields of every common kind."""
    linear = lambda bias: {"klass": Symbol("m.layers.Linear"), "bias": bias, "param_partition_spec": [None, "model"]}  # noqa: E731
    return {
        "klass": Symbol("m.attention.TransformerLayer"),
        "self_attention": {
            "klass": Symbol("m.attention.TransformerAttentionLayer"),
            "attention": {
                "klass": Symbol("m.attention.GroupedQueryAttention"),
                "num_heads": 32,
                "num_kv_heads": 8,
                "head_dim": 128,
                "dropout": {"klass": Symbol("m.layers.Dropout"), "rate": 0.0},
                "input_linear": linear(False),
                "output_linear": linear(False),
                "rope_theta": 500000.0,
                "dtype": Symbol("jax.numpy.bfloat16"),
            },
            "norm": {"klass": Symbol("m.layers.RMSNorm"), "eps": 1e-05, "forward_dtype": Symbol("jax.numpy.float32")},
            "structure": "prenorm",
            "stochastic_depth": {"klass": Symbol("m.layers.StochasticDepth"), "mode": "row", "rate": None},
        },
        "feed_forward": {
            "klass": Symbol("m.attention.TransformerFeedForwardLayer"),
            "activation": ["nn.silu", "linear"],
            "hidden_dim": 14336,
            "linear1": linear(False),
            "linear2": linear(False),
            "norm": {"klass": Symbol("m.layers.RMSNorm"), "eps": 1e-05},
            "residual_weight": 1.0,
            "structure": "prenorm",
        },
        "remat": {"policy": "save_dots", "offload": False, "prevent_cse": True},
        "name": f"layer{i}",
    }


def configs(layers: int, seed: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two nested configs that differ in CHANGES leaf values."""
    def make() -> dict[str, Any]:
        return {
            "klass": Symbol("m.trainer.SpmdTrainer"),
            "model": {"decoder": {"vocab_size": 128256, "dim": 4096, "layers": [layer(i) for i in range(layers)]}},
            "learner": {"optimizer": {"fn": Symbol("optax.adamw"), "learning_rate": 0.0003, "b1": 0.9, "b2": 0.95}},
            "max_step": 500000,
        }

    old, new = make(), make()
    rng = random.Random(seed)
    for k in range(CHANGES):
        attention = new["model"]["decoder"]["layers"][rng.randrange(layers)]["self_attention"]["attention"]
        key = rng.choice(["num_heads", "num_kv_heads", "head_dim", "rope_theta"])
        attention[key] = attention[key] * 2
    return old, new


def texts(layers: int) -> tuple[str, str]:
    """The canonical texts of :func:`configs`."""
    old, new = configs(layers)
    return canonical.dumps(flatten_document(old)), canonical.dumps(flatten_document(new))


def fields_of(tree: dict[str, Any]) -> int:
    return len(flatten_document(tree))


def cpu_seconds() -> float:
    """CPU time of this process and its finished children, user and system."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def page_faults(fn: Callable[[], Any]) -> int:
    """The page faults (first touches of memory) of one call of ``fn`` in this process."""
    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    fn()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """The best wall time and the best CPU time of ``repeat`` runs.

    On a shared machine wall time counts the other jobs too; CPU time much less so.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(cpu_seconds() - start_cpu)
    return min(walls), min(cpus)


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("cfgdiff")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "cfgdiff"]


# Python reads cached bytecode as any installed tool does; an environment that turns
# bytecode caching off would time the compiler instead of cfgdiff.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(command: list[str], expect: int) -> Callable[[], None]:
    def go() -> None:
        proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_ENV)
        if proc.returncode != expect:
            raise SystemExit(f"{command[0]} exited {proc.returncode}: {proc.stderr.decode()[:500]}")
    return go


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--big-layers", type=int, default=11_111, help="layers of the large in-process diff (0: skip)")
    args = parser.parse_args()

    old, new = configs(args.layers)
    with tempfile.TemporaryDirectory() as tmp:
        old_file, new_file = Path(tmp, "old.txt"), Path(tmp, "new.txt")
        old_file.write_text(canonical.dumps(flatten_document(old)))
        new_file.write_text(canonical.dumps(flatten_document(new)))
        n_fields = fields_of(old)
        print(f"configs: {n_fields:,} fields each, {CHANGES} changed; files {old_file.stat().st_size / 1e6:.1f} MB each")

        command = [*cli_command(), str(old_file), str(new_file)]
        proc = subprocess.run(command, capture_output=True, text=True, env=_ENV)  # also warms the bytecode cache
        print(f"cfgdiff says: {proc.stdout.strip().splitlines()[-1]}")
        cli = best(run(command, expect=1), args.repeat)
        startup = best(run([sys.executable, "-c", "pass"], expect=0), args.repeat)
        bare = bare_command(Path(tmp, "bare"))
        bare_cli = bare_startup = None
        if bare is not None:
            bare_cli = best(run([*bare, str(old_file), str(new_file)], expect=1), args.repeat)
            bare_startup = best(run([sys.executable, "-S", "-c", "pass"], expect=0), args.repeat)

        from cfgdiff.diff import Text, diff

        old_text, new_text = old_file.read_text(), new_file.read_text()
        in_process = best(lambda: diff(Text(old_text, "old"), Text(new_text, "new")), args.repeat)

        fresh = fresh_diff(old_file, new_file, args.repeat)
        big = None
        if args.big_layers:
            big_old, big_new = texts(args.big_layers)
            big_fields = big_old.count("\n")
            big_old_file, big_new_file = Path(tmp, "big_old.txt"), Path(tmp, "big_new.txt")
            big_old_file.write_text(big_old)
            big_new_file.write_text(big_new)
            big_fresh = fresh_diff(big_old_file, big_new_file, 3)
            big = best(lambda: diff(Text(big_old, "old"), Text(big_new, "new")), 3)
            warm_faults = page_faults(lambda: diff(Text(old_text, "old"), Text(new_text, "new")))
            big_warm_faults = page_faults(lambda: diff(Text(big_old, "old"), Text(big_new, "new")))
            # Baselines for linearity: one C-speed pass over both texts (string equality), and
            # one split of a text into its lines (an object per line, as any line-wise reader
            # makes). Past the CPU caches both cost more per byte, whatever the algorithm.
            same, big_same = old_text[:-1] + old_text[-1], big_old[:-1] + big_old[-1]
            memcmp = best(lambda: old_text == same, args.repeat)
            big_memcmp = best(lambda: big_old == big_same, args.repeat)
            split = best(lambda: old_text.split("\n"), args.repeat)
            big_split = best(lambda: big_old.split("\n"), 3)

        deep = _deepdiff_time(old, new)

        gnu = None
        if shutil.which("diff"):
            gnu = best(run(["diff", "-u", str(old_file), str(new_file)], expect=1), args.repeat)

    print("wall ms (cpu ms), best of each:")
    print(f"{'cfgdiff CLI, end to end':<44} {_ms(cli)}   (python -c pass alone: {_ms(startup)})")
    print(f"{'  of which cfgdiff (CLI - interpreter start)':<44} {(cli[0] - startup[0]) * 1e3:8.1f} ms")
    if bare_cli is not None:
        print(f"{'cfgdiff CLI in a bare interpreter':<44} {_ms(bare_cli)}   (python -S -c pass: {_ms(bare_startup)})")
    print(f"{'cfgdiff diff(), fresh process, files read':<44} {fresh[0] * 1e3:8.1f} ms, {fresh[1]:,} page faults")
    print(f"{'cfgdiff diff() warm, in this process':<44} {_ms(in_process)}")
    if big is not None:
        print(f"{f'  the same, {big_fields:,} fields, fresh':<44} {big_fresh[0] * 1e3:8.1f} ms, {big_fresh[1]:,} page faults")
        print(f"{f'  the same, {big_fields:,} fields, warm':<44} {_ms(big)}")
    if deep is not None:
        print(f"{'DeepDiff on nested dicts, in process':<44} {deep * 1e3:8.1f} ms")
    if gnu is not None:
        print(f"{'GNU diff -u on the files':<44} {_ms(gnu)}")
    if deep is not None:
        print(f"DeepDiff / cfgdiff CLI: {deep / cli[0]:.1f}x   (target: >= 10x)")
    else:
        print("DeepDiff not installed: pip install -e '.[bench]' to compare with it")
    if gnu is not None:
        print(f"cfgdiff CLI / GNU diff -u: {cli[0] / gnu[0]:.1f}x wall, {cli[1] / gnu[1]:.1f}x cpu   (target: <= 5x)")
        if bare_cli is not None:
            print(f"  in a bare interpreter: {bare_cli[0] / gnu[0]:.1f}x wall, {bare_cli[1] / gnu[1]:.1f}x cpu")
    if big is not None:
        print(f"diff() {big_fields:,} fields / {n_fields:,} fields, each fresh: {big_fresh[0] / fresh[0]:.1f}x wall   "
              f"(target: <= 12x; fields ratio {big_fields / n_fields:.1f}x, page faults {big_fresh[1] / fresh[1]:.1f}x)")
        print(f"  warm: {big[0] / in_process[0]:.1f}x, page faults per run {warm_faults:,} and {big_warm_faults:,}; "
              f"in the same runs == on the two texts {big_memcmp[0] / memcmp[0]:.1f}x, splitting a text into lines "
              f"{big_split[0] / split[0]:.1f}x")
    print(f"cfgdiff CLI under 150 ms: {'yes' if cli[0] < 0.150 else 'NO'}")
    print(f"(machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]})")


# One diff() of two files in a fresh interpreter, after reading them: seconds, page faults.
_FRESH = """
import resource, sys, time
from cfgdiff.canonical import read_file
from cfgdiff.diff import Text, diff
old, new = read_file(sys.argv[1]), read_file(sys.argv[2])
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
start = time.perf_counter()
diff(Text(old, "old"), Text(new, "new"))
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
"""  # page_faults, in a process of its own


def fresh_diff(old_file: Path, new_file: Path, repeat: int) -> tuple[float, int]:
    """``diff()`` of two files once in a fresh interpreter after reading them, as
    ``cfgdiff OLD NEW`` runs it: the best time of ``repeat`` processes, with its page faults."""
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-c", _FRESH, str(old_file), str(new_file)],
                              capture_output=True, text=True, env=_ENV, check=True)
        seconds, faults = proc.stdout.split()
        runs.append((float(seconds), int(faults)))
    return min(runs)


def bare_command(folder: Path) -> list[str] | None:
    """The CLI in an interpreter started without ``site`` (``python -S``), with only cfgdiff
    and its dependencies importable: what a fresh virtual environment would start, without
    the ``.pth`` files of this one (an editable install's finder, tools' start-up hooks).
    None where the packages cannot be linked into ``folder``."""
    import click
    import pygments

    import cfgdiff

    folder.mkdir()
    try:
        for package in (cfgdiff, click, pygments):
            source = Path(package.__file__).parent
            (folder / source.name).symlink_to(source, target_is_directory=True)
    except OSError:
        return None
    boot = f"import sys; sys.path.insert(0, {str(folder)!r}); from cfgdiff.console import entry; entry()"
    return [sys.executable, "-S", "-c", boot]


def _ms(times: tuple[float, float]) -> str:
    return f"{times[0] * 1e3:8.1f} ms ({times[1] * 1e3:.1f} ms)"


def _deepdiff_time(old: dict[str, Any], new: dict[str, Any]) -> float | None:
    """DeepDiff's best of 3 on the nested configs, or None when it is not installed."""
    try:
        from deepdiff import DeepDiff
    except ImportError:
        return None
    plain_old, plain_new = _plain(old), _plain(new)
    found = DeepDiff(plain_old, plain_new)
    assert len(found.get("values_changed", {})) == CHANGES, found
    return best(lambda: DeepDiff(plain_old, plain_new), 3)[0]


def _plain(tree: Any) -> Any:
    """Symbols as their names: DeepDiff compares plain data."""
    if isinstance(tree, dict):
        return {k: _plain(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_plain(v) for v in tree]
    return tree.name if isinstance(tree, Symbol) else tree


if __name__ == "__main__":
    main()
