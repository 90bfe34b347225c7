"""Impact figures: what a config means for the run, computed from its flat fields.

A reviewer reads ``global_logical_batch_size: 1024 -> 8`` three times and sees nothing
wrong; ``tokens per step  4,194,304 -> 32,768  (÷128)`` says what those lines do together.
Figures are computed per target (the config's root ``klass`` or ``fn``) by plain
functions registered with :func:`impact`::

    @cfgdiff.impact("myproject.trainer.Trainer")      # or the class itself
    def trainer_figures(fields):
        batch, seq = fields["data.batch"], fields["data.seq_len"]
        return [Figure("tokens per step", batch * seq)]

``fields`` is a read-only ``Mapping`` of canonical paths to values, possibly a lazy view over
the sorted lines of a 45,000-field file: an impact looks up the few fields it needs and
never iterates over all of them. Nothing here imports jax or builds a config. A project
lists its impact modules in ``[tool.cfgdiff] impact = ["myproject.impacts"]``
(:func:`load_project`). Built in: cfgdiff's reference trainer and AXLearn's
``SpmdTrainer`` as its golden files spell it.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import os
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from cfgdiff.canonical import Symbol
from cfgdiff.errors import CfgdiffError
from cfgdiff.lines import Lines

Fields = Mapping[str, Any]
ImpactFn = Callable[[Fields], Iterable["Figure"]]


class ImpactError(CfgdiffError, ValueError):
    """An impact function or module that fails: ``impact TARGET: Type: message``."""


@dataclasses.dataclass(frozen=True)
class Figure:
    """One named figure of a config: a number (``unit``: '' a count, 'B' bytes, 'FLOP') or a text.

    ``note`` qualifies the value (``-1 taken as 1 device``); it is shown, never compared.
    """

    name: str
    value: int | float | str
    unit: str = ""
    note: str = ""

    @property
    def text(self) -> str:
        """The value as a reviewer reads it: ``65,536``, ``1.50 GiB``, ``3.2 PFLOP``, ``GQA``."""
        text = format_quantity(self.value, self.unit)
        return f"{text} ({self.note})" if self.note else text


@dataclasses.dataclass(frozen=True)
class FigureChange:
    """A figure that moved between two configs; ``old`` or ``new`` is None where one side lacks it."""

    name: str
    old: Figure | None
    new: Figure | None

    @property
    def ratio(self) -> str:
        """``×4`` or ``÷128`` between two positive numbers, else ''."""
        return ratio_text(self.old.value if self.old else None, self.new.value if self.new else None)

    @property
    def text(self) -> str:
        """The change as a reviewer reads it: ``65,536 -> 512  (÷128)``."""
        old, new = self.old, self.new
        # A note both sides share is said once, after the ratio.
        shared = old.note if old and new and old.note == new.note else ""
        old_text = "(none)" if old is None else format_quantity(old.value, old.unit) if shared else old.text
        new_text = "(none)" if new is None else format_quantity(new.value, new.unit) if shared else new.text
        after = "; ".join(filter(None, (self.ratio, shared)))
        return f"{old_text} -> {new_text}" + (f"  ({after})" if after else "")

    def __str__(self) -> str:
        return f"{self.name}  {self.text}"


# -- registration ----------------------------------------------------------------------


_IMPACTS: dict[str, ImpactFn] = {}


def impact(target: type | str) -> Callable[[ImpactFn], ImpactFn]:
    """Register a function computing figures for configs whose root target is ``target``.

    ``target`` is a class or function, or its dotted import name as canonical text writes
    it (``"axlearn.common.trainer.SpmdTrainer"``), so registering needs no import of it.
    A later registration for the same target replaces the earlier one.
    """
    name = target if isinstance(target, str) else f"{target.__module__}.{target.__qualname__}"

    def register(fn: ImpactFn) -> ImpactFn:
        _IMPACTS[name] = fn
        return fn

    return register


class _CallableModule(types.ModuleType):
    # ``cfgdiff.impact`` names both this module (``impact.changes``) and the decorator
    # (``@cfgdiff.impact(Trainer)``): importing a submodule sets the package attribute to the
    # module, so the module itself registers when called.
    def __call__(self, target: type | str) -> Callable[[ImpactFn], ImpactFn]:
        return impact(target)


sys.modules[__name__].__class__ = _CallableModule


def load_project(start: str | os.PathLike = ".") -> None:
    """Import the impact modules named in ``[tool.cfgdiff] impact`` of the project holding ``start``."""
    from cfgdiff import settings

    pyproject, table = settings.find(start)
    if pyproject is None:
        return
    root = os.path.dirname(pyproject)
    if root not in sys.path:
        sys.path.insert(0, root)
    for module in settings.impact_modules(pyproject, table):
        try:
            importlib.import_module(module)
        except Exception as e:  # an import runs user code: one line, naming the module
            raise ImpactError(f"impact module {module} (in {os.path.basename(pyproject)}): {type(e).__name__}: {e}") from e


def target_of(fields: Fields) -> str | None:
    """The root target's dotted name: ``klass`` or ``fn``, unquoted (cfgdiff) or quoted (AXLearn)."""
    for key in ("klass", "fn"):
        name = _name(fields, key)
        if name is not None:
            return name
    return None


def figures(fields: Fields) -> list[Figure]:
    """The figures of one config, by its root target's impact; [] when none is registered."""
    target = target_of(fields)
    fn = _IMPACTS.get(target) if target else None
    if fn is None:
        return []
    try:
        return list(fn(fields))
    except Exception as e:  # impact functions are user code: name the target, keep it one line
        raise ImpactError(f"impact {target}: {type(e).__name__}: {e}") from e


def changes(old: Fields, new: Fields) -> list[FigureChange]:
    """The figures that moved from ``old`` to ``new``, in the order the new side lists them."""
    before = {f.name: f for f in figures(old)}
    after = {f.name: f for f in figures(new)}
    names = list(after) + [n for n in before if n not in after]
    return [
        FigureChange(n, before.get(n), after.get(n))
        for n in names
        if n not in before or n not in after or before[n].value != after[n].value or before[n].unit != after[n].unit
    ]


def describe(fields: Fields) -> list[Figure]:
    """:func:`figures`, or an ImpactError saying that no impact is registered for this config's target."""
    found = figures(fields)
    if not found:
        target = target_of(fields)
        what = f"its target {target}" if target else "a config without a root klass or fn"
        raise ImpactError(f"no impact figures for {what}; register some with @cfgdiff.impact({target or 'TARGET'!r}) in a module listed in [tool.cfgdiff] impact")
    return found


def table(found: Iterable[Figure] | Iterable[FigureChange]) -> list[str]:
    """Figures or figure changes as aligned lines: ``tokens per step  65,536 -> 512  (÷128)``."""
    found = list(found)
    width = max((len(f.name) for f in found), default=0)
    return [f"{f.name:<{width}}  {f.text}" for f in found]


class LinesView(Mapping[str, Any]):
    """The fields of sorted canonical :class:`~cfgdiff.lines.Lines` as a Mapping: each lookup bisects and parses one line."""

    def __init__(self, lines: Lines) -> None:
        self._lines = lines

    def __getitem__(self, path: str) -> Any:
        text = self._lines.text_at(path)
        if text is None:
            raise KeyError(path)  # absent, or given twice (malformed: no figure from it)
        return self._lines.value(path, text)

    def __iter__(self) -> Iterator[str]:
        return (line.partition(": ")[0] for line in self._lines.lines)

    def __len__(self) -> int:
        return len(self._lines)


# -- formatting ------------------------------------------------------------------------


_SI = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def format_quantity(value: int | float | str, unit: str = "") -> str:
    """``65,536``; bytes in binary units (``1.50 GiB``); FLOPs with an SI prefix (``3.20 PFLOP``)."""
    if isinstance(value, str):
        return value
    if unit == "B":
        for power, prefix in ((4, "Ti"), (3, "Gi"), (2, "Mi"), (1, "Ki")):
            if value >= 1024**power:
                return f"{value / 1024**power:.2f} {prefix}B"
        return f"{value:,.0f} B"
    if unit:
        for scale, prefix in _SI:
            if value >= scale:
                return f"{value / scale:.2f} {prefix}{unit}"
        return f"{value:,.0f} {unit}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"


def ratio_text(old: Any, new: Any) -> str:
    """``×4``, ``÷128``, ``×1.33`` between two positive numbers; '' otherwise."""
    numbers = (int, float)
    if not (isinstance(old, numbers) and isinstance(new, numbers)) or isinstance(old, bool) or old <= 0 or new <= 0:
        return ""
    sign, r = ("×", new / old) if new >= old else ("÷", old / new)
    return f"{sign}{round(r)}" if abs(r - round(r)) < 1e-9 * r else f"{sign}{r:.3g}"


# -- reading fields --------------------------------------------------------------------


def _int(fields: Fields, path: str) -> int | None:
    value = fields.get(path)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _name(fields: Fields, path: str) -> str | None:
    """A dotted name, written unquoted (cfgdiff) or quoted (AXLearn)."""
    value = fields.get(path)
    return value.name if isinstance(value, Symbol) else value if isinstance(value, str) else None


def _items(fields: Fields, path: str) -> list[Any]:
    """The items ``path[0]``, ``path[1]``, ... of a list field (one lookup per item)."""
    out = []
    while (item := fields.get(f"{path}[{len(out)}]")) is not None or f"{path}[{len(out)}]" in fields:
        out.append(item)
    return out


_DTYPE_BYTES = {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2, "float8_e4m3fn": 1, "float8_e5m2": 1}


def _dtype_bytes(name: str | None) -> int | None:
    return _DTYPE_BYTES.get(name.rpartition(".")[2]) if name else None


class Mesh(NamedTuple):
    """A mesh as configured: axis sizes by name, ``-1`` for "the devices left over"."""

    shape: tuple[int, ...]
    names: tuple[str, ...]

    @property
    def fixed(self) -> bool:
        return -1 not in self.shape

    def size(self, axes: Iterable[str]) -> int | None:
        """Devices along ``axes`` (unknown names count 1); None where one of them is -1."""
        sizes = dict(zip(self.names, self.shape))
        n = math.prod(sizes.get(a, 1) for a in axes)
        return None if n < 0 or any(sizes.get(a) == -1 for a in axes) else n

    def devices_figure(self) -> Figure:
        if self.fixed:
            return Figure("devices", math.prod(self.shape))
        known = math.prod(s for s in self.shape if s != -1)
        what = "all devices" if known == 1 else f"all devices, a multiple of {known:,}"
        return Figure("devices", f"{what} (mesh_shape has -1)")


def _mesh(fields: Fields) -> Mesh | None:
    shape = _items(fields, "mesh_shape")
    if not shape or not all(isinstance(s, int) for s in shape):
        return None
    names = _items(fields, "mesh_axis_names")
    return Mesh(tuple(shape), tuple(str(n) for n in names))


# -- the reference trainer: cfgdiff.train.trainer.Trainer --------------------------------

#: Optimizer state per parameter, in moments, of the optax transforms the reference recipes use.
OPTIMIZER_MOMENTS = {
    "optax.adam": 2, "optax.adamw": 2, "optax.nadam": 2, "optax.nadamw": 2, "optax.lamb": 2,
    "optax.adamax": 2, "optax.adamaxw": 2, "optax.lion": 1, "optax.clip_by_global_norm": 0, "optax.clip": 0,
}


@impact("cfgdiff.train.trainer.Trainer")
def reference_trainer(fields: Fields) -> list[Figure]:
    """Parameters, tokens, batch per device, FLOPs, memory, attention and devices of a Trainer config.

    Mirrors :mod:`cfgdiff.train.model` (``param_shapes``, ``flops_per_token`` with causal
    attention) and the trainer's sharding of the batch over ``axis_rules['batch']``.
    """
    out: list[Figure] = []
    model = _decoder(fields)
    batch, seq = _int(fields, "data.global_batch_size"), _int(fields, "data.seq_len")
    mesh = _mesh(fields)
    batch_axes = _rule_axes(fields, "batch")
    if model:
        out.append(Figure("parameters", model.params))
    if batch and seq:
        out.append(Figure("tokens per step", batch * seq))
    shards = mesh.size(batch_axes) if mesh else None
    if batch and shards:
        per_device = batch / shards
        out.append(Figure("batch per device", int(per_device) if per_device.is_integer() else per_device))
    if model and batch and seq:
        out.append(Figure("FLOPs per step", model.flops_per_token(seq) * batch * seq, "FLOP"))
        memory = _memory(fields, model, batch * seq, seq, mesh, batch_axes)
        if memory is not None:
            out.append(memory)
    if model:
        out.append(Figure("attention", model.attention_kind()))
    if mesh:
        out.append(mesh.devices_figure())
    return out


class _Decoder(NamedTuple):
    """The shape of a ``cfgdiff.train.model.Decoder`` config, enough for counts and FLOPs."""

    vocab: int
    dim: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    tied: bool
    impl: str | None

    @property
    def params(self) -> int:
        """``Decoder.param_count()``: embedding, per layer (q, k, v, o, 3 MLP matrices, 2 norms), final norm."""
        per_layer = 2 * self.dim * (self.heads + self.kv_heads) * self.head_dim + 3 * self.dim * self.ffn + 2 * self.dim
        untied = 0 if self.tied else self.dim * self.vocab
        return self.vocab * self.dim + self.layers * per_layer + self.dim + untied

    @property
    def matmul_params(self) -> int:
        """Parameters that take part in matmuls: no norms, no embedding lookup (the output projection counts)."""
        return self.params - (2 * self.layers + 1) * self.dim - (0 if self.tied else self.vocab * self.dim)

    def flops_per_token(self, seq: int) -> float:
        """Training FLOPs per token: 6 x matmul parameters + 6 x layers x seq x attention width (causal: half the scores)."""
        return 6.0 * self.matmul_params + 6.0 * self.layers * seq * self.heads * self.head_dim

    def attention_kind(self) -> str:
        kind = "MHA" if self.kv_heads == self.heads else "MQA" if self.kv_heads == 1 else "GQA"
        heads = f"{self.heads} heads" if kind == "MHA" else f"{self.heads} query / {self.kv_heads} KV heads"
        return f"{kind}, {heads}, {self.impl or 'auto'}"


def _decoder(fields: Fields) -> _Decoder | None:
    vocab, dim, layers = _int(fields, "model.vocab_size"), _int(fields, "model.dim"), _int(fields, "model.num_layers")
    heads, kv_heads, ffn = _int(fields, "model.num_heads"), _int(fields, "model.num_kv_heads"), _int(fields, "model.ffn_dim")
    if not (vocab and dim and layers and heads and kv_heads and ffn):
        return None
    head_dim = _int(fields, "model.head_dim") or dim // heads
    impl = fields.get("model.attention_impl")
    return _Decoder(vocab, dim, layers, heads, kv_heads, head_dim, ffn, fields.get("model.tied_embeddings", True) is not False,
                    impl if isinstance(impl, str) else None)


def _memory(fields: Fields, model: _Decoder, tokens: int, seq: int, mesh: Mesh | None, batch_axes: list[str]) -> Figure | None:
    """Parameters + optimizer moments + saved activations, per device.

    Parameters and moments divide over the mesh axes that ``axis_rules`` shard weights on;
    activations over the batch axes. Saved activations per token and layer, in compute
    dtype elements: the layer input with ``remat``, else its ~8 dim + 3 KV + 4 MLP-wide
    intermediates; plus float32 logits and their gradient. A -1 axis counts as 1 device.
    """
    param_bytes = _dtype_bytes(_name(fields, "model.param_dtype"))
    compute_bytes = _dtype_bytes(_name(fields, "model.compute_dtype"))
    optimizer_bytes = _optimizer_bytes(fields, param_bytes) if param_bytes else None
    if param_bytes is None or compute_bytes is None or optimizer_bytes is None or mesh is None:
        return None
    weight_axes = {a for rule in ("embed", "heads", "mlp") for a in _rule_axes(fields, rule)}
    weight_shards = mesh.size(weight_axes) or 1
    batch_shards = mesh.size(batch_axes) or 1
    state = model.params * (param_bytes + optimizer_bytes)
    kv_width = model.kv_heads * model.head_dim
    per_layer = model.dim if fields.get("model.remat") is True else 8 * model.dim + 3 * kv_width + 4 * model.ffn
    per_token = model.layers * per_layer * compute_bytes + 2 * 4 * model.vocab
    total = state / weight_shards + per_token * tokens / batch_shards
    note = "" if mesh.fixed else "-1 taken as 1 device"
    return Figure("memory per device", total, "B", note)


def _rule_axes(fields: Fields, logical: str) -> list[str]:
    rule = fields.get(f"axis_rules['{logical}']")
    if isinstance(rule, str):
        return [rule]
    return [a for a in _items(fields, f"axis_rules['{logical}']") if isinstance(a, str)]


def _optimizer_transforms(fields: Fields) -> list[str]:
    """The optax functions of ``optimizer`` (one, or the items of a ``chain``)."""
    top = _name(fields, "optimizer.fn")
    if top != "cfgdiff.train.optimizer.chain":
        return [top] if top else []
    names = []
    while (name := _name(fields, f"optimizer.transforms[{len(names)}].fn")) is not None:
        names.append(name)
    return names


def _optimizer_bytes(fields: Fields, param_bytes: int) -> int | None:
    """Optimizer state bytes per parameter; None for an optimizer :data:`OPTIMIZER_MOMENTS` does not know.

    Moments are kept in the parameters' dtype, except Adam's first moment under ``mu_dtype``.
    """
    transforms = _optimizer_transforms(fields)
    if not transforms:
        return None
    total = 0
    chained = _name(fields, "optimizer.fn") == "cfgdiff.train.optimizer.chain"
    for i, name in enumerate(transforms):
        moments = OPTIMIZER_MOMENTS.get(name)
        if moments is None:
            return None
        total += moments * param_bytes
        if moments == 2:
            mu = _dtype_bytes(_name(fields, f"optimizer.transforms[{i}].mu_dtype" if chained else "optimizer.mu_dtype"))
            total += (mu or param_bytes) - param_bytes
    return total


# -- AXLearn: axlearn.common.trainer.SpmdTrainer as its golden files spell it ------------

#: Where AXLearn's input configs put the global batch size, newest spelling first.
AXLEARN_BATCH_PATHS = ("input.input_dispatcher.global_logical_batch_size", "input.batcher.global_batch_size")
_LAYER = "model.decoder.transformer.layer"


@impact("axlearn.common.trainer.SpmdTrainer")
def axlearn_trainer(fields: Fields) -> list[Figure]:
    """Global batch, tokens per step, batch per device, parameters and devices of an AXLearn trainer."""
    out: list[Figure] = []
    batch = next((b for b in (_int(fields, p) for p in AXLEARN_BATCH_PATHS) if b is not None), None)
    seq = _int(fields, "input.source.max_sequence_length")
    mesh = _mesh(fields)
    if batch:
        out.append(Figure("global batch", batch))
    if batch and seq:
        out.append(Figure("tokens per step", batch * seq))
    if batch and mesh and mesh.fixed:
        # AXLearn splits the batch over every mesh axis but model (batch_axis_names).
        batch_axes = [a for a in _items(fields, "batch_axis_names") if isinstance(a, str)] or list(mesh.names)
        shards = mesh.size(batch_axes)
        if shards:
            out.append(Figure("batch per device", batch // shards if batch % shards == 0 else batch / shards))
    params = _axlearn_params(fields)
    if params:
        out.append(Figure("parameters", params))
    if mesh:
        out.append(mesh.devices_figure())
    return out


def _axlearn_params(fields: Fields) -> int | None:
    """A causal LM decoder's parameters from its dimensions (RMSNorm scales, no biases)."""
    dim, vocab = _int(fields, "model.decoder.dim"), _int(fields, "model.decoder.vocab_size")
    layers = _int(fields, "model.decoder.transformer.num_layers")
    attention = f"{_LAYER}.self_attention.attention"
    heads = _int(fields, f"{attention}.num_heads")
    if not (dim and vocab and layers and heads):
        return None
    kv_heads = _int(fields, f"{attention}.input_linear.input_linear.num_kv_heads") or heads
    head_dim = _int(fields, f"{attention}.per_head_dim") or dim // heads
    hidden = _axlearn_hidden_dim(fields, dim)
    if hidden is None:
        return None
    gated = len(_items(fields, f"{_LAYER}.feed_forward.activation")) == 2  # ('nn.silu', 'linear'): SwiGLU
    per_layer = 2 * dim * (heads + kv_heads) * head_dim + (3 if gated else 2) * dim * hidden + 2 * dim
    lm_head = dim * vocab if "model.decoder.lm_head.klass" in fields else 0
    return vocab * dim + layers * per_layer + dim + lm_head


def _axlearn_hidden_dim(fields: Fields, dim: int) -> int | None:
    """``feed_forward.hidden_dim``: an int, or ``scale_fn(scale, round_up_to_multiples_of)`` of the input dim."""
    path = f"{_LAYER}.feed_forward.hidden_dim"
    if (hidden := _int(fields, path)) is not None:
        return hidden
    scale, multiple = fields.get(f"{path}.scale"), _int(fields, f"{path}.round_up_to_multiples_of") or 1
    if not isinstance(scale, (int, float)):
        return None
    return math.ceil(dim * scale / multiple) * multiple
