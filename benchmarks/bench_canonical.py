"""Canonical text speed on a 7B-recipe-sized config (~45,000 fields).

Builds a model config of 1,000 layer sub-configs of ~45 fields each, then times
building it, ``dumps``, ``loads``, what ``cfgdiff show FILE`` does in process
(``canonical.normalize``: read, check, re-sort and re-spell) and the ``cfgdiff show`` command end
to end (against ``python -c pass`` in the same run), and Fiddle's
``printing.as_str_flattened`` on the same tree built with Fiddle (when ``fiddle`` is
installed; otherwise it says what to install). Prints best-of-N times and ratios.

    pip install -e '.[bench]'    # Fiddle, the baseline
    python benchmarks/bench_canonical.py [--layers 1000] [--repeat 5]

Targets: ``dumps`` and ``loads`` of 45,000 fields each under 100 ms, faster than
Fiddle's printer on the same tree; ``cfgdiff show`` of the 45,000-line file under 100 ms.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_diff import bare_command, best, cli_command, run

from cfgdiff import canonical
from cfgdiff.config import Config


def attention(num_heads=32, head_dim=128, dropout=0.0, qkv_bias=False, rope_theta=500000.0, dtype="bfloat16"):
    """A stand-in layer component: only its signature matters here."""


def mlp(hidden_dim=14336, activation="silu", dropout=0.0, bias=False, dtype="bfloat16", gated=True):
    """A stand-in layer component."""


def norm(eps=1e-05, scale_init=1.0, dtype="float32", kind="rms", bias=False, offset=0.0):
    """A stand-in layer component."""


def layer(attention=None, mlp=None, norm1=None, norm2=None, residual_scale=1.0, remat="full", name="layer",
          index=0, sharding=("fsdp", "model"), dropout=0.0, layer_scale=None, checkpoint=True, extra=None):
    """A stand-in transformer layer."""


def model(layers=(), vocab_size=32768, dim=4096, tied=False):
    """A stand-in model."""


def build_cfgdiff(num_layers: int) -> Config:
    layers = []
    for i in range(num_layers):
        layers.append(
            Config(
                layer,
                attention=Config(attention, num_heads=32 + i % 3),
                mlp=Config(mlp),
                norm1=Config(norm),
                norm2=Config(norm),
                index=i,
                extra={"tag": f"layer{i}", "rules": [("data", None), ("fsdp", "model")], "seed": i, "shard": None},
            )
        )
    return Config(model, layers=layers)


def build_fiddle(num_layers: int):
    import fiddle as fdl

    layers = []
    for i in range(num_layers):
        layers.append(
            fdl.Config(
                layer,
                attention=fdl.Config(attention, num_heads=32 + i % 3),
                mlp=fdl.Config(mlp),
                norm1=fdl.Config(norm),
                norm2=fdl.Config(norm),
                index=i,
                extra={"tag": f"layer{i}", "rules": [("data", None), ("fsdp", "model")], "seed": i, "shard": None},
            )
        )
    return fdl.Config(model, layers=layers)


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _show_command(text: str, repeat: int) -> tuple[tuple[float, float], ...]:
    """Best (wall, cpu) times of ``cfgdiff show FILE`` and of ``python -c pass``, as subprocesses,
    then of both in a bare interpreter (``python -S``, see ``bench_diff.bare_command``).

    On a shared machine wall time counts the other jobs too; CPU time much less so.
    """
    command = cli_command()
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp, "config.txt")
        file.write_text(text)

        def timed(argv: list[str]) -> tuple[float, float]:
            return best(run(argv, expect=0), repeat)

        run([*command, "show", str(file)], expect=0)()  # warm the bytecode cache
        times = timed([*command, "show", str(file)]), timed([sys.executable, "-c", "pass"])
        bare = bare_command(Path(tmp, "bare"))
        if bare is None:
            return times
        return *times, timed([*bare, "show", str(file)]), timed([sys.executable, "-S", "-c", "pass"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    t_build, cfg = best_of(args.repeat, lambda: build_cfgdiff(args.layers))
    t_dumps, text = best_of(args.repeat, lambda: canonical.dumps(cfg))
    t_loads, flat = best_of(args.repeat, lambda: canonical.loads(text))
    assert flat == canonical.flatten(cfg)
    print(f"fields: {len(flat):,}  text: {len(text) / 1e6:.1f} MB")
    print(f"cfgdiff build   {t_build * 1e3:8.1f} ms")
    print(f"cfgdiff dumps   {t_dumps * 1e3:8.1f} ms   (target < 100 ms)")
    print(f"cfgdiff loads   {t_loads * 1e3:8.1f} ms   (target < 100 ms)")
    t_show, shown = best_of(args.repeat, lambda: canonical.normalize(text))
    assert shown == text
    print(f"cfgdiff show, in process (canonical.normalize) {t_show * 1e3:8.1f} ms")
    (t_cli, cpu_cli), (t_python, cpu_python), *bare = _show_command(text, args.repeat)
    print(f"cfgdiff show FILE, end to end {t_cli * 1e3:8.1f} ms, {cpu_cli * 1e3:.1f} ms cpu   (target < 100 ms; "
          f"python -c pass alone: {t_python * 1e3:.1f} ms, {cpu_python * 1e3:.1f} ms cpu)")
    if bare:
        (t_bare, cpu_bare), (t_bare_python, _) = bare
        print(f"  in a bare interpreter        {t_bare * 1e3:8.1f} ms, {cpu_bare * 1e3:.1f} ms cpu   "
              f"(python -S -c pass: {t_bare_python * 1e3:.1f} ms)")

    try:
        from fiddle import printing
    except ImportError:
        print("fiddle not installed: pip install -e '.[bench]' to compare")
        return
    t_fbuild, fcfg = best_of(args.repeat, lambda: build_fiddle(args.layers))
    t_fprint, ftext = best_of(args.repeat, lambda: printing.as_str_flattened(fcfg))
    print(f"fiddle build    {t_fbuild * 1e3:8.1f} ms   ({len(ftext.splitlines()):,} lines)")
    print(f"fiddle as_str_flattened {t_fprint * 1e3:8.1f} ms")
    print(f"ratio fiddle printer / cfgdiff dumps: {t_fprint / t_dumps:.1f}x")
    print(f"ratio fiddle build / cfgdiff build:   {t_fbuild / t_build:.1f}x")


if __name__ == "__main__":
    main()
