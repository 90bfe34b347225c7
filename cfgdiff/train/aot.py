"""Prove a recipe compiles for its mesh without allocating it: ``cfgdiff run RECIPE --aot``.

The train step is lowered from ``jax.ShapeDtypeStruct``s and compiled for N simulated CPU
devices, so a 7B recipe's sharding and memory are checked on a laptop in seconds. XLA reads
the simulated device count once, when jax starts: :func:`use_cpu_devices` must run before
jax is imported, or the check runs in a fresh process.
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Any

_FLAG = "--xla_force_host_platform_device_count"


def default_device_count(mesh_shape: tuple[int, ...]) -> int:
    """The mesh's device count when it names every axis, else 8."""
    return math.prod(mesh_shape) if all(s > 0 for s in mesh_shape) else 8


def use_cpu_devices(n: int) -> bool:
    """Ask XLA for ``n`` CPU devices; False when jax is already imported (the flag would be ignored)."""
    if "jax" in sys.modules:
        return False
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith(_FLAG)]
    os.environ["XLA_FLAGS"] = " ".join([*flags, f"{_FLAG}={n}"])
    os.environ["JAX_PLATFORMS"] = "cpu"
    return True


def subprocess_env(n: int) -> dict[str, str]:
    """The environment for a child process with ``n`` simulated CPU devices."""
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith(_FLAG)]
    return {**os.environ, "XLA_FLAGS": " ".join([*flags, f"{_FLAG}={n}"]), "JAX_PLATFORMS": "cpu"}


def compile_report(cfg: Any, num_devices: int) -> dict[str, Any]:
    """Lower and compile ``cfg``'s train step on ``num_devices`` CPU devices; sizes and timings."""
    import jax

    from cfgdiff.config import ConfigError
    from cfgdiff.train import memory as memory_lib
    from cfgdiff.train.validate import check

    devices = jax.devices("cpu")
    if len(devices) < num_devices:
        raise ConfigError(f"--devices {num_devices}: only {len(devices)} CPU devices (set {_FLAG} before jax starts)")
    check(cfg, devices[:num_devices])
    t0 = time.perf_counter()
    trainer = cfg.instantiate(devices=devices[:num_devices])
    lowered = trainer.lower_train_step()
    t1 = time.perf_counter()
    compiled = lowered.compile()
    t2 = time.perf_counter()
    memory = compiled.memory_analysis()
    return {
        "devices": num_devices,
        "mesh": dict(trainer.mesh.shape),
        "params": trainer.model.param_count(),
        "tokens_per_step": trainer.tokens_per_step(),
        "flops_per_step": trainer.flops_per_step(),
        "memory_per_device": memory_lib.compiled_bytes(compiled),
        "arguments_per_device": memory.argument_size_in_bytes if memory is not None else None,
        "temp_per_device": memory.temp_size_in_bytes if memory is not None else None,
        "lower_s": t1 - t0,
        "compile_s": t2 - t1,
    }


def format_report(name: str, r: dict[str, Any]) -> str:
    """The report as a few aligned lines."""
    from cfgdiff.train.memory import gib as gib_of

    gib = lambda b: "n/a" if b is None else gib_of(b)  # noqa: E731
    mesh = " x ".join(f"{k}={v}" for k, v in r["mesh"].items())
    return "\n".join([
        f"{name}: compiled for {r['devices']} CPU devices ({mesh})",
        f"  parameters         {r['params']:,}",
        f"  tokens per step    {r['tokens_per_step']:,}",
        f"  FLOPs per step     {r['flops_per_step']:.3e} (model: 6N + causal attention)",
        f"  memory per device  {gib(r['memory_per_device'])} (state {gib(r['arguments_per_device'])}, temporaries {gib(r['temp_per_device'])})",
        f"  lower + compile    {r['lower_s']:.1f} s + {r['compile_s']:.1f} s",
    ])
