"""Where each field's value came from: the line of code that set it, or its declared default.

A config records, as it is built, the file, line and function of every call that sets a
field (see :mod:`cfgdiff.config`). This module turns those records into :class:`Origin`\\ s
keyed by the paths canonical text writes::

    >>> from cfgdiff.recipes import lm
    >>> str(origins(lm.tiny_lm())["model.dim"])           # doctest: +SKIP
    'cfgdiff/recipes/lm.py:41 (tiny_lm)'
    >>> str(origins(lm.tiny_lm())["model.norm_eps"])      # doctest: +SKIP
    'default, cfgdiff/train/model.py:51'

A field never set gets the line that declares its default: the parameter in the target's
signature, or the annotated attribute in a :class:`~cfgdiff.config.Configurable`'s
``Config`` class. Those lines are found by parsing the declaring source (never running it),
only when asked, once per target. Files are named relative to the project root (the
folder of the ``pyproject.toml`` with ``[tool.cfgdiff]``, else the git top level), and code
outside it relative to the folder above its top-level package (``optax/_src/alias.py``).

Values changed in place (``cfg.layers.append(x)``) are not seen; ``set_path`` into a list
or dict item is, and counts as a change of the field holding the container.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import inspect
import linecache
import os
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cfgdiff import canonical, config, lines, paths
from cfgdiff.errors import CfgdiffError, did_you_mean


class ProvenanceError(CfgdiffError, ValueError):
    """A question provenance cannot answer: a source without origins, a path not in the config."""


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where a field's value came from.

    ``file`` is a posix path relative to the project root (or to the folder above the
    package holding it); ``default`` says the value is the one ``file:line`` declares.
    """

    file: str
    line: int
    function: str | None = None
    default: bool = False

    def __str__(self) -> str:
        if self.default:
            return f"default, {self.file}:{self.line}"
        return f"{self.file}:{self.line}" + (f" ({self.function})" if self.function else "")


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Build configs without recording origins (every field then reads as its default)."""
    saved = config._recording
    config._recording = False
    try:
        yield
    finally:
        config._recording = saved


def origins(tree: config.ConfigBase, root: str | os.PathLike | None = None) -> Origins:
    """The origin of every field of ``tree``, keyed by the paths ``canonical.flatten(tree)`` writes.

    An item of a list or dict field has the origin of the field; a ``klass``/``fn``/``partial``
    line has where its config was created. ``root`` is the project root that file names are
    relative to (default: found from the current directory). Looking up one path resolves
    that path only (a diff asks for the few fields that moved); iterating resolves them all.
    """
    if not isinstance(tree, config.ConfigBase):  # only config nodes record origins
        raise TypeError(f"origins() needs a config, got {type(tree).__name__}")
    base = Path(root).resolve() if root is not None else project_root()
    return Origins(tree, _Resolver(base))


class Origins(Mapping):
    """``{path: Origin}`` of one config tree (see :func:`origins`)."""

    def __init__(self, tree: config.ConfigBase, resolve: _Resolver) -> None:
        self._tree, self._resolve = tree, resolve
        self._all: dict[str, Origin] | None = None

    def __getitem__(self, path: str) -> Origin:
        if self._all is not None:
            return self._all[path]
        return self._resolve(*_holder(self._tree, path))

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())

    def _everything(self) -> dict[str, Origin]:
        if self._all is None:
            by_field: dict[str, Origin] = {}
            _collect(self._tree, "", by_field, self._resolve)
            everything = {}
            for path in canonical.flatten(self._tree):
                holder = path
                while holder not in by_field:  # inside a container or a value expanded into lines
                    holder = lines.parent(holder)
                everything[path] = by_field[holder]
            self._all = everything
        return self._all


_BRANCHES = (config.ConfigBase, list, tuple, dict)


def _collect(value: Any, path: str, out: dict[str, Origin], resolve: _Resolver) -> None:
    """Origins of the fields of every config node in ``value``, by field path."""
    if isinstance(value, config.ConfigBase):
        for name, child in value.items():
            field = paths.join(path, name)
            out[field] = resolve(value, name)
            if isinstance(child, _BRANCHES):
                _collect(child, field, out, resolve)
        if value.target_key not in value.keys():
            out[paths.join(path, value.target_key)] = resolve(value, value.target_key)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if isinstance(item, _BRANCHES):
                _collect(item, paths.join(path, i), out, resolve)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, _BRANCHES):
                _collect(item, paths.join(path, paths.Key(key)), out, resolve)


class _Resolver:
    """Turns a config's origin records into Origins, with file names relative to ``root``."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.sites: dict[config.Site, Origin] = {}
        self.defaults: dict[tuple[int, str], Origin] = {}

    def __call__(self, node: config.ConfigBase, name: str) -> Origin:
        record = node._origins.get(name)
        if record is None:
            return self.declared(_declarer(node), name)
        if isinstance(record, config.DeclaredDefault):
            return self.declared(record.owner, record.name)
        origin = self.sites.get(record)
        if origin is None:
            file, line, function = record
            origin = Origin(display_file(file, self.root), line, None if function == "<module>" else function)
            self.sites[record] = origin
        return origin

    def declared(self, owner: Any, name: str) -> Origin:
        key = (id(owner), name)  # by identity: a target may be unhashable; the tree keeps it alive
        origin = self.defaults.get(key)
        if origin is None:
            file, line, function = declaration(owner, name)
            origin = self.defaults[key] = Origin(display_file(file, self.root), line, function, default=True)
        return origin


def _declarer(node: config.ConfigBase) -> Any:
    """What declares a node's defaults: its Config class, or the target of a signature config."""
    return type(node) if isinstance(node, config.InstantiableConfig) else node.target


# -- declarations: where a target declares a field ---------------------------------------


def declaration(owner: Any, name: str) -> tuple[str, int, str | None]:
    """(absolute file, line, declaring name) of field ``name`` as ``owner`` declares it.

    ``owner`` is a Config class or the target of a signature config. Falls back to the
    line defining ``owner`` when the field's own line cannot be found (no source, a
    ``**kwargs`` field), and to ``(<module>, 0)`` when there is no source at all.
    """
    try:
        return _declaration(owner, name)
    except TypeError:  # an unhashable callable object: look it up uncached
        return _declaration.__wrapped__(owner, name)


@functools.lru_cache(maxsize=4096)
def _declaration(owner: Any, name: str) -> tuple[str, int, str | None]:
    if isinstance(owner, type) and issubclass(owner, config.InstantiableConfig):
        return _declared_line(owner._declared_in.get(name, owner), name)
    target = inspect.unwrap(owner) if callable(owner) else owner
    while isinstance(target, functools.partial):
        target = target.func
    if inspect.isclass(target):
        code = getattr(target.__init__, "__code__", None)
        if code is not None and not code.co_filename.startswith("<"):
            return _declared_line(target.__init__, name, _qualname(target))
        # A dataclass or named tuple: its fields are declared in the class body.
        return _declared_line(next((k for k in target.__mro__ if name in getattr(k, "__annotations__", {})), target), name)
    return _declared_line(target, name)


def _declared_line(obj: Any, name: str, label: str | None = None) -> tuple[str, int, str | None]:
    """Where class or function ``obj`` declares ``name`` (an attribute, or a parameter), else defines ``obj``."""
    label = label or _qualname(obj)
    code = getattr(obj, "__code__", None)
    try:
        file = code.co_filename if code is not None else inspect.getsourcefile(obj) or inspect.getfile(obj)
    except TypeError:  # a builtin: no source to point at
        return f"<{getattr(obj, '__module__', None) or 'unknown'}>", 0, label
    defined, names = _source_index(file).get(getattr(obj, "__qualname__", None), (0, {}))
    if not defined and code is not None:
        defined = code.co_firstlineno
    return file, names.get(name, defined), label


@functools.lru_cache(maxsize=256)
def _source_index(file: str) -> dict[str, tuple[int, dict[str, int]]]:
    """``{qualname: (line defining it, {attribute or parameter: line})}`` for a source file.

    The file is parsed once, never run: class bodies give their annotated and assigned
    attributes, functions their parameters.
    """
    try:
        tree = ast.parse("".join(linecache.getlines(file)))
    except (SyntaxError, ValueError):
        return {}
    index: dict[str, tuple[int, dict[str, int]]] = {}
    _index_body(tree.body, "", index)
    return index


def _index_body(body: list[ast.stmt], prefix: str, index: dict[str, tuple[int, dict[str, int]]]) -> None:
    for node in body:
        if isinstance(node, ast.ClassDef):
            names: dict[str, int] = {}
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names[item.target.id] = item.lineno
                elif isinstance(item, ast.Assign):
                    names.update((t.id, item.lineno) for t in item.targets if isinstance(t, ast.Name))
            index[prefix + node.name] = (node.lineno, names)
            _index_body(node.body, f"{prefix}{node.name}.", index)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            every = (*args.posonlyargs, *args.args, *args.kwonlyargs)
            index[prefix + node.name] = (node.lineno, {arg.arg: arg.lineno for arg in every})
            _index_body(node.body, f"{prefix}{node.name}.<locals>.", index)


def _qualname(obj: Any) -> str | None:
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)


# -- file names -----------------------------------------------------------------------------


def project_root(start: str | os.PathLike = ".") -> Path | None:
    """The folder of the nearest ``pyproject.toml`` with ``[tool.cfgdiff]``, else the git top level."""
    from cfgdiff import settings

    pyproject, _ = settings.find(start)
    if pyproject is not None:
        return Path(pyproject).parent
    directory = Path(start).resolve()
    return next((c for c in (directory, *directory.parents) if (c / ".git").exists()), None)


@functools.lru_cache(maxsize=4096)
def display_file(file: str, root: Path | None) -> str:
    """``file`` as a posix path relative to ``root``, else to the nearest ``sys.path`` entry, else to
    the folder above its top-level package."""
    if file.startswith("<"):
        return file
    path = Path(os.path.realpath(file))
    if root is not None and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    entries = [Path(os.path.realpath(entry or ".")) for entry in sys.path]
    nearest = max((e for e in entries if path.is_relative_to(e) and e != path), key=lambda e: len(e.parts), default=None)
    if nearest is not None:
        return path.relative_to(nearest).as_posix()
    top = path.parent  # an editable install's package, found by an import hook rather than sys.path
    while (top / "__init__.py").is_file():
        top = top.parent
    return path.relative_to(top).as_posix()


# -- what a field configures ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Explanation:
    """What the field at ``path`` configures, and where its value came from.

    ``target`` is the import name of the class or function the field belongs to;
    ``parameter`` is None for the target line itself (``klass``/``fn``/``partial``).
    """

    path: str
    value: str
    target: str
    parameter: str | None
    annotation: str | None
    default: str | None
    doc: str | None
    declared: str
    origin: Origin


def explain(tree: config.ConfigBase, path: str, root: str | os.PathLike | None = None) -> Explanation:
    """Explain the field at ``path`` (a path ``canonical.flatten(tree)`` writes).

    Raises ProvenanceError for a path the config does not have, with the closest one.
    """
    flat = canonical.flatten(tree)
    if path not in flat:
        raise ProvenanceError(f"no field {path!r} in this config{did_you_mean(path, flat)}")
    node, name = _holder(tree, path)
    base = Path(root).resolve() if root is not None else project_root()
    origin = origins(tree, base)[path]
    target = canonical.import_name(node.target, path).name
    owner = _declarer(node)
    if name == node.target_key:
        file, line, _ = _declared_line(node.target, "")
        return Explanation(path, canonical.format_value(flat[path]), target, None, None, None,
                           _first_doc_line(node.target), f"{display_file(file, base)}:{line}", origin)
    file, line, _ = declaration(owner, name)
    annotation, default = _signature_of(node, owner, name)
    return Explanation(path, canonical.format_value(flat[path]), target, name, annotation, default,
                       parameter_doc(node.target, owner, name), f"{display_file(file, base)}:{line}", origin)


def _holder(tree: config.ConfigBase, path: str) -> tuple[config.ConfigBase, str]:
    """The innermost config node on ``path`` and the name of its field the path is in (or
    of its target line); KeyError for a path the tree does not have."""
    try:
        segments = paths.split(path)
    except paths.PathError:
        raise KeyError(path) from None
    node, name = tree, ""
    value: Any = tree
    for segment in segments:
        if isinstance(value, config.ConfigBase):
            if segment == value.target_key and segment not in value.keys():  # klass/fn/partial
                return value, segment
            if not isinstance(segment, str) or segment not in value.keys():
                raise KeyError(path)
            node, name, value = value, segment, value._fields[segment]
        elif type(value) in (list, tuple):
            if not isinstance(segment, int) or not -len(value) <= segment < len(value):
                raise KeyError(path)
            value = value[segment]
        elif type(value) is dict:
            if not isinstance(segment, paths.Key) or segment.key not in value:
                raise KeyError(path)
            value = value[segment.key]
        else:  # a value written as several lines (a dataclass, a partial): its field's origin
            break
    return node, name


def _signature_of(node: config.ConfigBase, owner: Any, name: str) -> tuple[str | None, str | None]:
    """(annotation, declared default) of field ``name``, as text; None where there is none."""
    if isinstance(node, config.InstantiableConfig):
        declaring = owner._declared_in.get(name, owner)
        annotation = inspect.get_annotations(declaring).get(name)
        default = owner._declared.get(name, config.REQUIRED)
    else:
        try:
            parameter = inspect.signature(node.target).parameters.get(name)
        except (TypeError, ValueError):
            parameter = None
        if parameter is None:
            return None, None
        annotation = None if parameter.annotation is parameter.empty else parameter.annotation
        default = config.REQUIRED if parameter.default is parameter.empty else parameter.default
    if annotation is not None and not isinstance(annotation, str):
        annotation = inspect.formatannotation(annotation)
    return annotation, _default_text(default)


def _default_text(value: Any) -> str:
    if isinstance(value, config.ConfigBase):
        return repr(value)
    try:
        flat = canonical.flatten(value)
    except canonical.CanonicalError:
        return repr(value)
    if list(flat) == [""]:
        return canonical.format_value(flat[""])
    return "{" + ", ".join(f"{p}: {canonical.format_value(v)}" for p, v in flat.items()) + "}"


def parameter_doc(target: Any, owner: Any, name: str) -> str | None:
    """The line documenting ``name`` in a docstring (Google ``name: text`` / ``name (type): text``).

    Looked for in the target's docstring, its ``__init__``'s, and its Config class's.
    """
    pattern = re.compile(rf"^\s*\**{re.escape(name)}\s*(?:\([^)]*\))?\s*:\s*(\S.*)$")
    places = [target, getattr(target, "__init__", None) if inspect.isclass(target) else None, owner]
    for place in places:
        doc = inspect.getdoc(place) if place is not None else None
        lines_ = (doc or "").splitlines()
        for i, line in enumerate(lines_):
            match = pattern.match(line)
            if match:
                # The entry goes on over the lines indented deeper than its first.
                indent = len(line) - len(line.lstrip())
                more = []
                for following in lines_[i + 1 :]:
                    if not following.strip() or len(following) - len(following.lstrip()) <= indent:
                        break
                    more.append(following.strip())
                return " ".join([match.group(1).strip(), *more])
    return None


def _first_doc_line(target: Any) -> str | None:
    doc = inspect.getdoc(target)
    return doc.strip().splitlines()[0] if doc and doc.strip() else None

