"""Configs built from the parameters of the classes and functions they configure.

A config is a mutable tree of named fields that describes how to construct an object.
Nothing is constructed until you ask: ``instantiate()`` (AXLearn's word) or ``build()``
(Fiddle's) turns the tree into objects. Until then a config can be edited, cloned,
compared, and written as canonical text (:mod:`cfgdiff.canonical`) for review.

Two styles, one implementation:

* **Fiddle style.** ``Config(target, **kwargs)`` takes its fields from ``target``'s
  signature: parameter names, and defaults where the signature has them. ``build(cfg)``
  builds nested configs bottom up and calls ``target(**fields)``; a config shared at two
  places in the tree is built once. ``Partial(fn, **kwargs)`` builds to
  ``functools.partial``.
* **AXLearn style.** ``config_for_class(cls)`` and ``config_for_function(fn)`` are the same
  signature configs under AXLearn's names. A :class:`Configurable` declares its fields in
  a nested ``Config`` class (annotated attributes, inherited and extended by subclasses)
  and receives its whole config in ``__init__``; ``Cls.default_config().set(...)
  .instantiate()`` constructs it, and it instantiates its own children.

A field without a default holds :data:`REQUIRED`; instantiating a config with a REQUIRED
field left unset is an error naming the field's full path. Every error says which field
and what to type instead.

Every config remembers where each field got its value (see :mod:`cfgdiff.provenance`):
each way of setting a field (``Config(...)`` keywords, ``.set``, attribute assignment,
``set_path``, ``clone(**overrides)``) records its caller's file, line and function, found
with one ``sys._getframe`` at a depth known per entry point, so building stays cheap. A
field never set has no record: its origin is the line that declares its default, looked
up only when someone asks.
"""

from __future__ import annotations

import copy
import functools
import inspect
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, NamedTuple, TypeVar, Union

from cfgdiff import paths
from cfgdiff.errors import CfgdiffError, did_you_mean

T = TypeVar("T")
C = TypeVar("C", bound="ConfigBase")


class ConfigError(CfgdiffError, ValueError):
    """A config was built or used wrongly; the message names the field path."""


class UnknownFieldError(ConfigError, AttributeError):
    """A field name that the config does not have."""


class RequiredFieldValue:
    """The value of a field that must be set before instantiation."""

    _instance: RequiredFieldValue | None = None

    def __new__(cls) -> RequiredFieldValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "REQUIRED"

    def __deepcopy__(self, memo: dict) -> RequiredFieldValue:
        return self

    def __reduce__(self) -> str:
        return "REQUIRED"


REQUIRED = RequiredFieldValue()
"""Placeholder for a field that has no default and must be set."""

Required = Union[T, RequiredFieldValue]
"""Type hint for a field that may still be REQUIRED: ``vocab_size: Required[int] = REQUIRED``."""


class DeclaredDefault(NamedTuple):
    """Origin record of a config copied from a field's declared default: ``owner`` declares ``name``.

    ``owner`` is a Config class (a :class:`Configurable`'s fields) or a signature config's target.
    """

    owner: Any
    name: str


#: Whether setting a field records its origin; :func:`cfgdiff.provenance.disabled` turns it off.
_recording = True


Site = tuple[str, int, str]
"""Where a field was set: (file, line, function's qualified name); plain data, so configs still pickle."""


def _site(frame: FrameType) -> Site | None:
    """The origin record of a field set from ``frame``."""
    if not _recording:
        return None
    code = frame.f_code
    return (code.co_filename, frame.f_lineno, code.co_qualname)


class ConfigBase:
    """A node of a config tree: named fields and the target they configure.

    Subclasses say what the target is and how instantiation calls it. Fields are read and
    written as attributes; a name the config does not have is an error with a suggestion.
    """

    #: The canonical-text key under which the target is written ("klass", "fn", ...).
    target_key: str = "klass"

    def __init__(self) -> None:
        object.__setattr__(self, "_fields", {})
        # field name (or target key) -> where its value was set; absent: the declared default.
        object.__setattr__(self, "_origins", {})

    # -- the target ---------------------------------------------------------------
    @property
    def target(self) -> Any:
        """The class or function this config constructs or calls."""
        raise NotImplementedError

    def _accepts_any_field(self) -> bool:
        return False

    # -- fields -------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._fields[name]
        except KeyError:
            raise self._unknown(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._assign(name, value, _site(sys._getframe(1)))

    def _assign(self, name: str, value: Any, site: Site | None) -> None:
        if name not in self._fields:
            self._check_new_field(name)
        self._fields[name] = value
        if site is not None:
            self._origins[name] = site

    def _check_new_field(self, name: str) -> None:
        if not self._accepts_any_field() or name == self.target_key:
            raise self._unknown(name)

    def __delattr__(self, name: str) -> None:
        raise ConfigError(f"{self._describe()}: fields cannot be deleted; set {name}=... instead")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._fields))

    def _unknown(self, name: str) -> UnknownFieldError:
        return UnknownFieldError(
            f"{self._describe()} has no field {name!r}{did_you_mean(name, self._fields)}; "
            f"fields: {', '.join(self._fields) or '(none)'}"
        )

    def _describe(self) -> str:
        return f"{type(self).__name__}({_name_of(self.target)})"

    def keys(self) -> list[str]:
        """Field names, in declaration order."""
        return list(self._fields)

    def items(self) -> list[tuple[str, Any]]:
        """(name, value) pairs, in declaration order."""
        return list(self._fields.items())

    def set(self: C, **kwargs: Any) -> C:
        """Set fields and return this config: ``cfg.set(learning_rate=0.1)``."""
        return self._set_from(_site(sys._getframe(1)), kwargs)

    def _set_from(self: C, site: Site | None, kwargs: dict[str, Any]) -> C:
        fields = self._fields
        for name in kwargs:
            if name not in fields:
                self._check_new_field(name)
        fields.update(kwargs)
        if site is not None:
            self._origins.update(dict.fromkeys(kwargs, site))
        return self

    def clone(self: C, **kwargs: Any) -> C:
        """A deep copy (configs shared inside it stay shared, origins kept), then ``set(**kwargs)``."""
        return copy.deepcopy(self)._set_from(_site(sys._getframe(1)), kwargs)

    def set_path(self, path: str, value: Any) -> None:
        """Set a field by its full path: ``cfg.set_path('model.layers[0].dim', 64)``."""
        site = _site(sys._getframe(1))
        segments = paths.split(path)
        node: Any = self
        walked = ""
        # The config field holding the innermost container: an item set there is that field's change.
        owner: tuple[ConfigBase, str] | None = None
        for segment in segments[:-1]:
            if isinstance(node, ConfigBase):
                owner = (node, segment)  # type: ignore[assignment]
            node = _child(node, segment, walked)
            walked = paths.join(walked, segment)
        last = segments[-1]
        if isinstance(node, ConfigBase) and isinstance(last, str):
            try:
                node._assign(last, value, site)
            except UnknownFieldError:
                raise UnknownFieldError(
                    f"unknown field {path!r}: {_describe_at(node, walked)} has no field {last!r}"
                    f"{did_you_mean(last, node.keys())}"
                ) from None
        elif isinstance(node, list) and isinstance(last, int) and -len(node) <= last < len(node):
            node[last] = value
            _record_item_change(owner, site)
        elif isinstance(node, dict) and isinstance(last, paths.Key) and last.key in node:
            node[last.key] = value
            _record_item_change(owner, site)
        else:
            raise UnknownFieldError(f"unknown field {path!r}: cannot set {paths.join('', last)!s} there")

    # -- introspection ------------------------------------------------------------
    def visit(self, fn: Callable[[str, Any], None], prefix: str = "") -> None:
        """Call ``fn(path, value)`` for every field in the tree, parents before children.

        Lists, tuples and dicts are entered, so items have paths like ``layers[0]``.
        """
        for name, value in self._fields.items():
            _visit(paths.join(prefix, name), value, fn)

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self.target == other.target and self._fields == other._fields  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_short_repr(v)}" for k, v in self._fields.items() if k != self.target_key)
        return f"{type(self).__name__}({_name_of(self.target)}{', ' if args else ''}{args})"

    # -- construction -------------------------------------------------------------
    def instantiate(self, **extra: Any) -> Any:
        """Construct the target from this config; ``extra`` keyword arguments are passed along."""
        _check_required(self, "", set(extra))
        return self._build(_BuildMemo(), "", extra)

    def _build(self, memo: _BuildMemo, path: str, extra: dict[str, Any]) -> Any:
        raise NotImplementedError


class _BuildMemo:
    """Objects already built, by config identity, and the configs being built now."""

    def __init__(self) -> None:
        self.built: dict[int, Any] = {}
        self.active: set[int] = set()


def _record_item_change(owner: tuple[ConfigBase, str] | None, site: Site | None) -> None:
    if owner is not None and site is not None:
        owner[0]._origins[owner[1]] = site


def _copy_default(default: Any, owner: Any, name: str) -> Any:
    """A fresh copy of a mutable declared default; a config copied so remembers it is that default."""
    value = copy.deepcopy(default)
    if isinstance(value, ConfigBase):
        value._origins[value.target_key] = DeclaredDefault(owner, name)
    return value


def _child(node: Any, segment: paths.Segment, walked: str) -> Any:
    try:
        if isinstance(segment, str) and isinstance(node, ConfigBase):
            return node._fields[segment]
        if isinstance(segment, int) and isinstance(node, (list, tuple)):
            return node[segment]
        if isinstance(segment, paths.Key) and isinstance(node, dict):
            return node[segment.key]
    except (KeyError, IndexError):
        pass
    here = paths.join(walked, segment)
    hint = did_you_mean(segment, node.keys()) if isinstance(node, ConfigBase) and isinstance(segment, str) else ""
    raise UnknownFieldError(f"unknown field {here!r}{hint}")


def _describe_at(node: ConfigBase, path: str) -> str:
    return f"{path} ({_name_of(node.target)})" if path else _name_of(node.target)


def _visit(path: str, value: Any, fn: Callable[[str, Any], None]) -> None:
    fn(path, value)
    if isinstance(value, ConfigBase):
        value.visit(fn, path)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _visit(paths.join(path, i), item, fn)
    elif isinstance(value, dict):
        for key, item in value.items():
            _visit(paths.join(path, paths.Key(key)), item, fn)


def _name_of(target: Any) -> str:
    return getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or repr(target)


def _short_repr(value: Any) -> str:
    if isinstance(value, ConfigBase):
        return f"{type(value).__name__}({_name_of(value.target)}, ...)"
    if inspect.isclass(value) or inspect.isfunction(value):
        return _name_of(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_required(value: Any, path: str, satisfied: set[str] = frozenset(), seen: set[int] | None = None) -> None:
    """Raise for the first REQUIRED field under ``value``, naming its full path."""
    seen = set() if seen is None else seen
    if isinstance(value, ConfigBase):
        if id(value) in seen:
            return
        seen.add(id(value))
        for name, child in value._fields.items():
            child_path = paths.join(path, name)
            if child is REQUIRED and name not in satisfied and not isinstance(value, Partial):
                where = f"{path}.set({name}=...)" if path else f"cfg.set({name}=...)"
                raise ConfigError(f"{child_path or name}: required field is not set ({_name_of(value.target)}); use {where}")
            _check_required(child, child_path, frozenset(), seen)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_required(item, paths.join(path, i), frozenset(), seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_required(item, paths.join(path, paths.Key(key)), frozenset(), seen)


def _build_value(value: Any, memo: _BuildMemo, path: str) -> Any:
    if isinstance(value, ConfigBase):
        key = id(value)
        if key in memo.built:
            return memo.built[key]
        if key in memo.active:
            raise ConfigError(f"{path}: the config refers to itself (a cycle)")
        memo.active.add(key)
        try:
            result = value._build(memo, path, {})
        finally:
            memo.active.discard(key)
        memo.built[key] = result
        return result
    if isinstance(value, list):
        return [_build_value(v, memo, paths.join(path, i)) for i, v in enumerate(value)]
    if isinstance(value, tuple):
        items = [_build_value(v, memo, paths.join(path, i)) for i, v in enumerate(value)]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, dict):
        return type(value)((k, _build_value(v, memo, paths.join(path, paths.Key(k)))) for k, v in value.items())
    return value


def build(value: Any) -> Any:
    """Build a config tree bottom up (Fiddle's ``fdl.build``).

    Nested configs, also inside lists, tuples and dicts, are built first; a config that
    appears at several places is built once and the result shared. Non-config values
    are returned as they are.
    """
    _check_required(value, "")
    return _build_value(value, _BuildMemo(), "")


# -- signature configs: Config, Partial, config_for_class, config_for_function ----------


class _SignatureConfig(ConfigBase):
    """Fields taken from the signature of a class or function."""

    def __init__(self, target: Callable[..., Any], /, **kwargs: Any) -> None:
        site = _site(sys._getframe(1))
        super().__init__()
        if not callable(target):
            raise ConfigError(f"{type(self).__name__} needs a class or function, got {target!r}")
        object.__setattr__(self, "_target", target)
        target_key = self.target_key
        try:
            fields = _signature_fields(target, target_key)
        except TypeError:  # an unhashable callable object: read its signature uncached
            fields = _signature_fields.__wrapped__(target, target_key)
        defaults, var_keyword, positional_only = fields
        object.__setattr__(self, "_var_keyword", var_keyword)
        object.__setattr__(self, "_positional_only", positional_only)
        for name, default in defaults.items():
            self._fields[name] = default if type(default) in _IMMUTABLE else _copy_default(default, target, name)
        if site is not None:
            self._origins[target_key] = site  # the target line: where the config was created
        self._set_from(site, kwargs)

    @classmethod
    def _create(cls, target: Callable[..., Any], frame: FrameType) -> Any:
        """A config of ``target`` created, for provenance, by the code running in ``frame``."""
        config = cls(target)
        site = _site(frame)
        if site is not None:
            config._origins[config.target_key] = site
        return config

    @property
    def target_key(self) -> str:  # type: ignore[override]
        return "klass" if inspect.isclass(self._target) else "fn"

    @property
    def target(self) -> Any:
        return self._target

    def _accepts_any_field(self) -> bool:
        return self._var_keyword

    def __deepcopy__(self, memo: dict) -> _SignatureConfig:
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for slot in ("_target", "_var_keyword", "_positional_only"):
            object.__setattr__(clone, slot, getattr(self, slot))
        object.__setattr__(clone, "_fields", copy.deepcopy(self._fields, memo))
        object.__setattr__(clone, "_origins", dict(self._origins))
        return clone

    def _call_args(self, memo: _BuildMemo, path: str, extra: dict[str, Any]) -> tuple[list, dict]:
        fields = {**self._fields, **extra}
        args = [_build_value(fields.pop(n), memo, paths.join(path, n)) for n in self._positional_only]
        kwargs = {
            name: _build_value(value, memo, paths.join(path, name))
            for name, value in fields.items()
            if value is not REQUIRED
        }
        return args, kwargs


_IMMUTABLE = frozenset({type(None), bool, int, float, str, bytes, RequiredFieldValue})


@functools.lru_cache(maxsize=1024)
def _signature_fields(target: Callable[..., Any], target_key: str) -> tuple[dict[str, Any], bool, tuple[str, ...]]:
    """(defaults by parameter name, accepts **kwargs, positional-only names); cached per target."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"cannot read the signature of {_name_of(target)}: {e}") from None
    defaults: dict[str, Any] = {}
    var_keyword = False
    positional_only = []
    for param in signature.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            var_keyword = True
        elif param.kind is not param.VAR_POSITIONAL:
            if param.name == target_key:
                raise ConfigError(
                    f"{_name_of(target)} has a parameter named {param.name!r}, which canonical text "
                    f"uses for the target; wrap it in a function with another parameter name"
                )
            if param.kind is param.POSITIONAL_ONLY:
                positional_only.append(param.name)
            defaults[param.name] = REQUIRED if param.default is param.empty else param.default
    return defaults, var_keyword, tuple(positional_only)


class Config(_SignatureConfig):
    """Configure a call: ``Config(Optimizer, learning_rate=0.1)``; ``build`` calls ``Optimizer(...)``."""

    def _build(self, memo: _BuildMemo, path: str, extra: dict[str, Any]) -> Any:
        args, kwargs = self._call_args(memo, path, extra)
        return self._target(*args, **kwargs)


class Partial(_SignatureConfig):
    """Configure a partial call: builds ``functools.partial(fn, **fields)``; REQUIRED fields stay open."""

    target_key = "partial"  # type: ignore[assignment]

    def _build(self, memo: _BuildMemo, path: str, extra: dict[str, Any]) -> Any:
        args, kwargs = self._call_args(memo, path, extra)
        return functools.partial(self._target, *args, **kwargs)


def config_for_class(cls: type) -> ConfigBase:
    """AXLearn's name for a class config: ``config_for_class(Adam).set(lr=0.1).instantiate()``.

    For a :class:`Configurable` this is its ``default_config()``.
    """
    if inspect.isclass(cls) and issubclass(cls, Configurable):
        config = cls.default_config()
        site = _site(sys._getframe(1))
        if site is not None:
            config._origins["klass"] = site
        return config
    if not inspect.isclass(cls):
        raise ConfigError(f"config_for_class needs a class, got {cls!r}; use config_for_function")
    return Config._create(cls, sys._getframe(1))


def config_for_function(fn: Callable[..., Any]) -> Config:
    """AXLearn's name for a function config: ``instantiate()`` calls ``fn(**fields)``."""
    if inspect.isclass(fn):
        raise ConfigError(f"config_for_function needs a function, got class {fn.__qualname__}; use config_for_class")
    return Config._create(fn, sys._getframe(1))


# -- declared configs: Configurable ---------------------------------------------------


class InstantiableConfig(ConfigBase):
    """Fields declared as annotated class attributes; ``klass(cfg)`` constructs the target.

    Subclasses inherit their parent's fields and may add fields or change defaults::

        class Config(Layer.Config):
            dim: Required[int] = REQUIRED
            dropout: float = 0.0
    """

    _declared: dict[str, Any] = {"klass": REQUIRED}
    #: For each field, the Config class whose body declares its default (for provenance).
    _declared_in: dict[str, type] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = dict(cls._declared)
        declared_in = dict(cls._declared_in)
        for name in inspect.get_annotations(cls):
            if name.startswith("_"):
                continue
            declared[name] = cls.__dict__.get(name, REQUIRED)
            declared_in[name] = cls
        # A plain class attribute overriding an inherited field changes its default.
        for name in list(cls.__dict__):
            if name in declared and name not in ("_declared", "_declared_in"):
                declared[name] = cls.__dict__[name]
                declared_in[name] = cls
                delattr(cls, name)
        cls._declared = declared
        cls._declared_in = declared_in

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        owner = type(self)
        for name, default in self._declared.items():
            self._fields[name] = default if type(default) in _IMMUTABLE else _copy_default(default, owner, name)
        self._set_from(_site(sys._getframe(1)), kwargs)

    @classmethod
    def _create(cls, frame: FrameType, **kwargs: Any) -> Any:
        """A config set up with ``kwargs``, for provenance, by the code running in ``frame``."""
        return cls()._set_from(_site(frame), kwargs)

    @property
    def target(self) -> Any:
        return self._fields["klass"]

    def __deepcopy__(self, memo: dict) -> InstantiableConfig:
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        object.__setattr__(clone, "_fields", copy.deepcopy(self._fields, memo))
        object.__setattr__(clone, "_origins", dict(self._origins))
        return clone

    def _describe(self) -> str:
        return f"{_name_of(self.target)}.Config"

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_short_repr(v)}" for k, v in self._fields.items() if k != "klass")
        return f"{_name_of(self.target)}.default_config({args})"

    def _build(self, memo: _BuildMemo, path: str, extra: dict[str, Any]) -> Any:
        if self.klass is REQUIRED:
            raise ConfigError(f"{path or 'klass'}: klass is not set; create the config with Cls.default_config()")
        return self.klass(self, **extra)


class Configurable:
    """A class constructed from its config: ``Cls.default_config().set(...).instantiate()``.

    Declare fields in a nested ``Config``; ``__init__`` receives the config (children
    still as configs, so the object decides when and how to instantiate them)::

        class Optimizer(Configurable):
            class Config(Configurable.Config):
                learning_rate: Required[float] = REQUIRED

            def __init__(self, cfg):
                super().__init__(cfg)
                self.learning_rate = cfg.learning_rate
    """

    class Config(InstantiableConfig):
        """Fields of a Configurable; subclasses extend it."""

    @classmethod
    def default_config(cls) -> Any:
        """A fresh config of this class with its declared defaults."""
        return cls.Config._create(sys._getframe(1), klass=cls)

    def __init__(self, cfg: Configurable.Config) -> None:
        self._config = cfg.clone()

    @property
    def config(self) -> Any:
        """A copy of the config this object was constructed from."""
        return self._config.clone()
