"""Mesh shapes and logical-axis sharding rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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


def test_partition_spec_drops_axes_of_size_one():
    mesh = make_mesh((-1, 1, 1), ("data", "fsdp", "model"), jax.devices()[:1])
    rules = {"batch": ("data", "fsdp"), "embed": "fsdp"}
    assert partition_spec(("batch", None), (8, 4), rules, mesh) == P(None, None)


EIGHT_DEVICES = """
import json
from cfgdiff.train.mesh import make_mesh, partition_spec
rules = {"batch": ("data", "fsdp"), "embed": "fsdp", "mlp": "model", "vocab": "model"}
spec = lambda axes, shape, mesh: [list(a) if isinstance(a, tuple) else a for a in partition_spec(axes, shape, rules, mesh)]
cube = make_mesh((2, 2, 2), ("data", "fsdp", "model"))
flat = make_mesh((-1, 4, 1), ("data", "fsdp", "model"))
json.dump({
    "shape": dict(cube.shape),
    "flat_shape": dict(flat.shape),
    "batch": spec(("batch", None), (8, 16), cube),
    "batch_data_only": spec(("batch", None), (2, 16), cube),
    "weight": spec(("embed", "mlp"), (64, 32), cube),
    "odd_mlp": spec(("embed", "mlp"), (64, 33), cube),
    "embed_twice": spec(("embed", "embed"), (64, 64), cube),
    "batch_on_flat": spec(("batch", None), (8, 16), flat),
}, __import__("sys").stdout)
"""


def test_partition_specs_on_eight_simulated_devices():
    # On one device every mesh axis has size 1 and every spec is empty: use 8 CPU devices.
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", EIGHT_DEVICES], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["shape"] == {"data": 2, "fsdp": 2, "model": 2} and out["flat_shape"] == {"data": 2, "fsdp": 4, "model": 1}
    assert out["batch"] == [["data", "fsdp"], None]  # 8 rows over data x fsdp = 4
    assert out["batch_data_only"] == ["data", None]  # 2 rows: fsdp would not divide what data leaves
    assert out["weight"] == ["fsdp", "model"]
    assert out["odd_mlp"] == ["fsdp", None]  # 33 does not split over model=2
    assert out["embed_twice"] == ["fsdp", None]  # a mesh axis shards one dimension only
    assert out["batch_on_flat"] == [["data", "fsdp"], None]


def test_make_mesh_uses_auto_axes():
    mesh = make_mesh((-1, 1, 1), ("data", "fsdp", "model"))
    assert mesh.axis_names == ("data", "fsdp", "model")
    assert all(t == jax.sharding.AxisType.Auto for t in mesh.axis_types)
