"""Check a trainer config before any device work: types from the Config annotations, then named constraints.

``check(cfg)`` walks every :class:`~cfgdiff.config.Configurable` config in the tree and
checks each field against its annotation (``int``, ``float``, ``bool``, ``str``, a dtype,
``X | None``, tuples, a Config of the expected class). ``check(cfg, devices)`` adds what
depends on the machine: the mesh, the batch split, the attention implementation. The
first failure is a :class:`ConfigError` naming the path, the value and what is expected,
so a recipe and a ``--set`` are held to the same rules and fail in one line, in seconds.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
from jax.typing import DTypeLike

from cfgdiff import canonical
from cfgdiff.config import REQUIRED, ConfigError, Configurable, InstantiableConfig, RequiredFieldValue

#: Fields that count or size something: zero or less is never meaningful.
POSITIVE = (
    "max_steps", "eval_every", "eval_batches", "model.vocab_size", "model.dim", "model.num_layers",
    "model.num_heads", "model.num_kv_heads", "model.head_dim", "model.ffn_dim", "model.rope_theta",
    "model.norm_eps", "model.init_std", "data.seq_len", "data.global_batch_size", "checkpoint.every_steps",
    "checkpoint.max_to_keep", "peak_flops_per_device",
)

ATTENTION_IMPLS = (None, "xla", "cudnn")


def check(cfg: Any, devices: Sequence[Any] | None = None, process_count: int = 1) -> None:
    """Raise :class:`ConfigError` for the first field of ``cfg`` that the trainer cannot run.

    Without ``devices`` only what holds on every machine is checked.
    """
    from cfgdiff.train.trainer import Trainer

    if not isinstance(cfg, Trainer.Config) or not (isinstance(cfg.klass, type) and issubclass(cfg.klass, Trainer)):
        got = _show(cfg.target) if hasattr(cfg, "target") else type(cfg).__name__
        raise ConfigError(f"not a reference-Trainer config (it configures {got}); cfgdiff run trains recipes built on cfgdiff.train.trainer.Trainer.default_config()")
    check_types(cfg)
    for path in POSITIVE:
        value = _get(cfg, path)
        if value is not None and value <= 0:
            _fail(path, value, "a positive number")
    m = cfg.model
    if m.head_dim is None and m.dim % m.num_heads:
        _fail("model.dim", m.dim, f"a multiple of model.num_heads ({m.num_heads}), or set model.head_dim")
    if m.num_heads % m.num_kv_heads:
        _fail("model.num_heads", m.num_heads, f"a multiple of model.num_kv_heads ({m.num_kv_heads})")
    if (m.head_dim or m.dim // m.num_heads) % 2:
        _fail("model.head_dim" if m.head_dim else "model.dim", m.head_dim or m.dim, "an even head width (rotary embeddings rotate pairs)")
    vocab = cfg.data.tokenizer.klass.vocab_size
    if m.vocab_size < vocab:
        _fail("model.vocab_size", m.vocab_size, f"at least the tokenizer's {vocab}")
    if m.attention_impl not in ATTENTION_IMPLS:
        _fail("model.attention_impl", m.attention_impl, "None (by backend), 'xla' or 'cudnn'")
    if not 0 < cfg.data.eval_fraction < 1:
        _fail("data.eval_fraction", cfg.data.eval_fraction, "a fraction between 0 and 1")
    if len(cfg.mesh_shape) != len(cfg.mesh_axis_names):
        _fail("mesh_shape", cfg.mesh_shape, f"one size per axis of mesh_axis_names {cfg.mesh_axis_names}")
    if any(s == 0 or s < -1 for s in cfg.mesh_shape) or cfg.mesh_shape.count(-1) > 1:
        _fail("mesh_shape", cfg.mesh_shape, "positive sizes and at most one -1 (the devices left over)")
    for axis, names in cfg.axis_rules.items():
        for name in (names,) if isinstance(names, str) else names or ():
            if name not in cfg.mesh_axis_names:
                _fail(f"axis_rules['{axis}']", names, f"mesh axes among {cfg.mesh_axis_names}")
    if devices is not None:
        check_devices(cfg, devices, process_count)


def check_devices(cfg: Any, devices: Sequence[Any], process_count: int = 1) -> None:
    """The checks that depend on the machine: mesh size, batch split, attention implementation."""
    from cfgdiff.train.mesh import resolve_mesh_shape
    from cfgdiff.train.model import cudnn_attention_unavailable

    n = len(devices)
    try:
        shape = resolve_mesh_shape(cfg.mesh_shape, n)
    except ValueError:
        raise ConfigError(f"mesh_shape: {cfg.mesh_shape} does not fit the {n} device{'s' if n > 1 else ''} here; sizes must multiply to {n} (-1 takes the rest)") from None
    sizes = dict(zip(cfg.mesh_axis_names, shape))
    batch_axes = cfg.axis_rules.get("batch")
    batch_axes = (batch_axes,) if isinstance(batch_axes, str) else tuple(batch_axes or ())
    split = math.prod(sizes[a] for a in batch_axes)
    batch = cfg.data.global_batch_size
    if batch % split or batch % process_count:
        what = " x ".join(f"{a}={sizes[a]}" for a in batch_axes)
        processes = f" and of the {process_count} processes" if process_count > 1 else ""
        _fail("data.global_batch_size", batch, f"a multiple of the mesh's batch axes ({what} = {split}){processes}")
    if cfg.model.attention_impl == "cudnn":
        head_dim = cfg.model.head_dim or cfg.model.dim // cfg.model.num_heads
        why = cudnn_attention_unavailable(devices[0], cfg.model.compute_dtype, head_dim)
        if why:
            _fail("model.attention_impl", "cudnn", f"'xla' or None: cuDNN attention {why}")


def check_types(cfg: InstantiableConfig, prefix: str = "") -> None:
    """Check every field of ``cfg`` and its child Configurable configs against their annotations."""
    hints = typing.get_type_hints(type(cfg))
    for name, value in cfg.items():
        path = f"{prefix}{name}"
        if name == "klass" or name not in hints:
            continue
        hint = hints[name]
        if value is REQUIRED:
            if _allows(hint, RequiredFieldValue):
                raise ConfigError(f"{path}: required field is not set")
            _fail(path, value, _describe(hint))
        if not _matches(value, hint):
            _fail(path, value, _describe(hint))
        if isinstance(value, InstantiableConfig):
            _check_target(value, path)
            check_types(value, f"{path}.")


def _check_target(value: InstantiableConfig, path: str) -> None:
    klass = value.klass
    expected = _owner(type(value))
    if not (isinstance(klass, type) and issubclass(klass, Configurable) and isinstance(value, klass.Config)):
        _fail(f"{path}.klass", klass, f"a class configured by {type(value).__qualname__} (like {expected})")


def _owner(config_class: type) -> str:
    return f"{config_class.__module__}.{config_class.__qualname__.rpartition('.')[0]}"


def _allows(hint: Any, kind: type) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and kind in typing.get_args(hint)


def _matches(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if hint is DTypeLike or hint == DTypeLike:
        return _is_float_dtype(value)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args if a is not RequiredFieldValue)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin is tuple:
        if not isinstance(value, (tuple, list)):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in value)
        return len(args) == len(value) and all(_matches(v, a) for v, a in zip(value, args))
    if origin is dict:
        return isinstance(value, dict) and all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _is_float_dtype(value: Any) -> bool:
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.ModuleType)):
        return False  # np.dtype() would take any callable with a dtype attribute
    try:
        return bool(jnp.issubdtype(jnp.dtype(value), jnp.floating))  # numpy alone does not count bfloat16
    except TypeError:
        return False


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is DTypeLike or hint == DTypeLike:
        return "a floating-point dtype, like jax.numpy.bfloat16"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args if a is not RequiredFieldValue)
    if hint is type(None):
        return "None"
    if origin is tuple:
        return f"a tuple of {_describe(args[0])}" if args and args[-1] is Ellipsis else f"a tuple of {len(args)}"
    if origin is dict:
        return "a dict"
    if isinstance(hint, type) and issubclass(hint, InstantiableConfig):
        return f"a config of {_owner(hint)}"
    if isinstance(hint, type):
        return {"int": "an integer", "float": "a number", "bool": "True or False", "str": "a quoted string"}.get(hint.__name__, hint.__name__)
    return str(hint)


def _get(cfg: Any, path: str) -> Any:
    node = cfg
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _fail(path: str, value: Any, expected: str) -> typing.NoReturn:
    raise ConfigError(f"{path}: {_show(value)} is not {expected}")


def _show(value: Any) -> str:
    """The value as canonical text spells it: ``os.path``, ``'64'``, ``1.5``."""
    if callable(value) or isinstance(value, types.ModuleType):
        try:
            return canonical.format_value(canonical.import_name(value))
        except canonical.CanonicalError:
            return repr(value)
    return canonical.format_value(value)

