"""Mesh shapes and logical-axis sharding rules."""

from __future__ import annotations

import jax
import pytest
from jax.sharding import PartitionSpec as P

from cfgdiff.train.mesh import make_mesh, partition_spec, resolve_mesh_shape


def test_minus_one_takes_the_remaining_devices():
    assert resolve_mesh_shape((-1, 2, 1), 8) == (4, 2, 1)
    assert resolve_mesh_shape((1, -1, 1), 8) == (1, 8, 1)


@pytest.mark.parametrize("shape", [(3, -1, 1), (2, 2, 1), (-1, -1, 1)])
def test_a_mesh_that_does_not_fit_is_an_error(shape):
    with pytest.raises(ValueError, match="mesh_shape"):
        resolve_mesh_shape(shape, 8)


def test_partition_spec_drops_axes_of_size_one_and_axes_that_do_not_divide():
    mesh = make_mesh((-1, 1, 1), ("data", "fsdp", "model"), jax.devices()[:1])
    rules = {"batch": ("data", "fsdp"), "embed": "fsdp"}
    assert partition_spec(("batch", None), (8, 4), rules, mesh) == P(None, None)


def test_make_mesh_uses_auto_axes():
    mesh = make_mesh((-1, 1, 1), ("data", "fsdp", "model"))
    assert mesh.axis_names == ("data", "fsdp", "model")
    assert all(t == jax.sharding.AxisType.Auto for t in mesh.axis_types)
