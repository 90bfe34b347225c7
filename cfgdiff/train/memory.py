"""Will the train step fit? Per-device memory, estimated before anything is allocated.

Two looks, cheapest first: the train state's own shards (parameters and optimizer state,
from shapes alone), then the compiled step's memory analysis (state, batch and
temporaries). Either one over the device's memory is refused in one line.
"""

from __future__ import annotations

import math
import os
from typing import Any

import jax

from cfgdiff.errors import CfgdiffError


class DoesNotFit(CfgdiffError):
    """The train step needs more memory per device than the device has."""


def device_memory(device: Any) -> int | None:
    """Bytes one device can allocate: the accelerator's limit, or physical memory shared by the host's CPU devices."""
    stats = device.memory_stats() if device.platform != "cpu" else None
    if stats and stats.get("bytes_limit"):
        return int(stats["bytes_limit"])
    if device.platform == "cpu":
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return total // max(1, jax.local_device_count("cpu"))
    return None


def shard_bytes(tree: Any) -> int:
    """Bytes of one device's shards of a tree of ``jax.ShapeDtypeStruct`` with shardings."""
    return sum(math.prod(leaf.sharding.shard_shape(leaf.shape)) * leaf.dtype.itemsize for leaf in jax.tree.leaves(tree))


def compiled_bytes(compiled: Any) -> int | None:
    """Per-device bytes of a compiled step: arguments + outputs + temporaries - donated aliases."""
    m = compiled.memory_analysis()
    if m is None:
        return None
    return m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes - m.alias_size_in_bytes


def check_fits(needed: int | None, available: int | None, what: str, device: Any, remedies: str) -> None:
    """Raise :class:`DoesNotFit` when ``needed`` bytes exceed ``available``; ``remedies`` says what would help."""
    if needed is None or available is None or needed <= available:
        return
    raise DoesNotFit(
        f"the train step needs {gib(needed)} per device for {what}, and {device.device_kind} has {gib(available)}; "
        f"use {remedies}, or 'cfgdiff run RECIPE --aot --devices N' to size it"
    )


def gib(n: int) -> str:
    """``n`` bytes in GiB, two decimals."""
    return f"{n / 2**30:.2f} GiB"
