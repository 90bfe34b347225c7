"""Devices as a named mesh, and where each array lives on it.

The trainer's ``mesh_shape`` and ``mesh_axis_names`` make a ``jax.sharding.Mesh``
(``-1`` takes the devices left over). ``axis_rules`` map the model's logical axis names
(``embed``, ``heads``, ``mlp``, ``batch``, ...) to mesh axes, MaxText-style; a mesh axis
that does not divide a dimension is dropped for that array, so small models still run on
big meshes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

AxisRules = Mapping[str, Any]  # logical axis -> mesh axis name, tuple of names, or None


def initialize_distributed() -> bool:
    """``jax.distributed.initialize()`` when the environment describes several processes.

    ``JAX_COORDINATOR_ADDRESS`` with ``JAX_NUM_PROCESSES`` and ``JAX_PROCESS_ID``, or a
    cluster JAX detects itself (SLURM, Open MPI, Kubernetes, TPU pods). Returns whether
    it initialized.
    """
    if os.environ.get("JAX_COORDINATOR_ADDRESS"):
        jax.distributed.initialize(
            num_processes=int(os.environ["JAX_NUM_PROCESSES"]),
            process_id=int(os.environ["JAX_PROCESS_ID"]),
            initialization_timeout=int(os.environ.get("JAX_INITIALIZATION_TIMEOUT", "300")),
        )
        return True
    if int(os.environ.get("SLURM_NTASKS", "1")) > 1 or int(os.environ.get("OMPI_COMM_WORLD_SIZE", "1")) > 1:
        jax.distributed.initialize()
        return True
    return False


def resolve_mesh_shape(shape: Sequence[int], num_devices: int) -> tuple[int, ...]:
    """``shape`` with its one ``-1`` replaced so the product is ``num_devices``."""
    shape = tuple(shape)
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or num_devices % known:
        raise ValueError(f"mesh_shape {shape} does not fit {num_devices} devices")
    resolved = tuple(num_devices // known if s == -1 else s for s in shape)
    if math.prod(resolved) != num_devices:
        raise ValueError(f"mesh_shape {shape} needs {math.prod(resolved)} devices, found {num_devices}")
    return resolved


def make_mesh(shape: Sequence[int], axis_names: Sequence[str], devices: Sequence[Any] | None = None) -> Mesh:
    """A mesh over ``devices`` (default: all), axes of type Auto so sharding constraints work."""
    devices = list(jax.devices() if devices is None else devices)
    resolved = resolve_mesh_shape(shape, len(devices))
    # jax.make_mesh defaults to Explicit axes in newer releases, under which
    # with_sharding_constraint fails; Auto keeps GSPMD's propagation.
    auto = (jax.sharding.AxisType.Auto,) * len(resolved)
    return jax.make_mesh(resolved, tuple(axis_names), axis_types=auto, devices=devices)


def partition_spec(axes: Sequence[str | None], shape: Sequence[int], rules: AxisRules, mesh: Mesh) -> PartitionSpec:
    """The PartitionSpec of an array whose dimensions have logical ``axes``.

    Mesh axes of size 1, already used by an earlier dimension, or not dividing the
    dimension are left out.
    """
    used: set[str] = set()
    spec = []
    for axis, size in zip(axes, shape):
        wanted = rules.get(axis) if axis is not None else None
        wanted = (wanted,) if isinstance(wanted, str) else tuple(wanted or ())
        kept = []
        for name in wanted:
            n = mesh.shape[name]
            if n > 1 and name not in used and size % (math.prod(mesh.shape[k] for k in kept) * n) == 0:
                kept.append(name)
        used.update(kept)
        spec.append(None if not kept else kept[0] if len(kept) == 1 else tuple(kept))
    return PartitionSpec(*spec)


def tree_shardings(axes: Any, shapes: Any, rules: AxisRules, mesh: Mesh) -> Any:
    """NamedShardings for a tree of logical axes and a tree of shapes of the same structure."""
    is_axes = lambda x: isinstance(x, tuple) and all(isinstance(a, (str, type(None))) for a in x)  # noqa: E731
    return jax.tree.map(
        lambda a, s: NamedSharding(mesh, partition_spec(a, s, rules, mesh)), axes, shapes, is_leaf=is_axes
    )
