"""Turn a SOURCE argument into a config: a file, a run directory, a git revision, a recipe.

Tried in this order (the first that applies wins):

1. an existing file: canonical text (AXLearn golden files too); ``.json``, ``.toml``,
   ``.yaml``/``.yml`` documents are flattened to the same paths;
2. an existing directory: a run directory holding ``config.txt``;
3. ``REV:PATH``: a file at a git revision (``git show REV:PATH``; PATH from the
   repository root, or ``./PATH`` from the current directory);
4. ``REV:RECIPE``: a recipe built from the code at that revision (temporary worktree,
   separate process);
5. a recipe name;
6. ``package.module:function``: a function returning a config.

Reading a file never imports or runs anything; only recipes and ``module:function`` run
code (and may import jax), and only they import :mod:`cfgdiff.registry`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Union

from cfgdiff import canonical, paths
from cfgdiff.canonical import FlatConfig, Raw, Text
from cfgdiff.errors import CfgdiffError

#: What :func:`read` returns: canonical text (diffed without parsing what is equal) or a FlatConfig.
Source = Union[Text, FlatConfig]

DOCUMENT_SUFFIXES = (".json", ".toml", ".yaml", ".yml")
_FILE_LIKE = re.compile(r"[/\\]|\.(txt|json|toml|ya?ml|cfg|conf)\Z")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MODULE_REF = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_.]*\Z")


class SourceError(CfgdiffError, ValueError):
    """A SOURCE that cannot be read; the message is one line saying what was tried."""


def resolve(arg: str, *, cwd: str | os.PathLike | None = None) -> FlatConfig:
    """The config a SOURCE argument names, as a FlatConfig whose ``source`` labels it.

    >>> resolve("golden_configs/tiny_lm.txt").source   # doctest: +SKIP
    'golden_configs/tiny_lm.txt'
    """
    found = read(arg, cwd=cwd)
    if isinstance(found, Text):
        return canonical.loads(found.text, found.source)
    return found


def read(arg: str, *, cwd: str | os.PathLike | None = None) -> Source:
    """Like :func:`resolve`, but canonical text stays text, so a diff can skip equal lines."""
    if arg == "-":  # canonical text piped in: git show REV:golden.txt | cfgdiff - golden.txt
        import sys

        return Text(sys.stdin.read(), "<stdin>")
    base = Path(cwd) if cwd is not None else Path.cwd()
    path = base / arg
    if path.is_file():
        return _read_file(path, arg)
    if path.is_dir():
        run_config = path / "config.txt"
        if not run_config.is_file():
            raise SourceError(f"{arg}: a directory without config.txt (a run directory holds its config there)")
        return _read_file(run_config, os.path.join(arg, "config.txt"))
    tried = ["no such file or directory"]
    rev, sep, rest = arg.partition(":")
    if sep and rev and rest:
        if _is_revision(rev, base):
            return _at_revision(rev, rest, base)
        tried.append(f"{rev!r} is not a git revision here")
        if _MODULE_REF.match(arg):
            return _from_function(arg, base)
    elif not _FILE_LIKE.search(arg) and arg and not arg.startswith("-"):
        return _recipe(arg, base, tried)
    raise SourceError(f"{arg}: not a config source ({'; '.join(tried)})")


# -- files ------------------------------------------------------------------------------


def _read_file(path: Path, label: str) -> Source:
    suffix = path.suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:
        return parse_document(path.read_bytes(), suffix, label)
    try:
        return Text(path.read_text(encoding="utf-8"), label)
    except UnicodeDecodeError as e:
        raise SourceError(f"{label}: not a text file ({e.reason} at byte {e.start})") from None


def parse_document(data: bytes, suffix: str, label: str) -> FlatConfig:
    """A ``.json``/``.toml``/``.yaml`` document, flattened (see :func:`flatten_document`)."""
    try:
        document = _parse(data, suffix, label)
    except UnicodeDecodeError as e:
        raise SourceError(f"{label}: not a text file ({e.reason} at byte {e.start})") from None
    if not isinstance(document, (dict, list)):
        raise SourceError(f"{label}: a config document must be a mapping or a list, not {type(document).__name__}")
    flat = flatten_document(document)
    flat.source = label
    return flat


def _parse(data: bytes, suffix: str, label: str) -> Any:
    if suffix == ".json":
        import json

        try:
            return json.loads(data)
        except json.JSONDecodeError as e:
            raise SourceError(f"{label}:{e.lineno}: invalid JSON: {e.msg}") from None
    if suffix == ".toml":
        import tomllib

        try:
            return tomllib.loads(data.decode("utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise SourceError(f"{label}: invalid TOML: {e}") from None
    try:
        import yaml
    except ImportError:
        raise SourceError(f"{label}: reading YAML needs PyYAML: pip install 'cfgdiff[yaml]'") from None
    try:
        return yaml.safe_load(data)  # safe_load: a config file never constructs objects
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise SourceError(f"{label}{where}: invalid YAML: {getattr(e, 'problem', None) or e}") from None


def flatten_document(document: Any) -> FlatConfig:
    """A JSON/TOML/YAML document as a FlatConfig with the paths canonical text uses.

    Mapping keys that are identifiers become attributes (``model.dim``), other keys dict
    keys (``evalers['eval']``), list items indices; lines come in canonical order.
    Values a document format has but canonical text does not (dates) are kept as text.
    """
    out: dict[str, Any] = {}
    _walk(document, "", out)
    flat = FlatConfig()
    for path in sorted(out, key=paths.sort_key):
        flat[path] = out[path]
    return flat


def _walk(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            is_attribute = isinstance(key, str) and _IDENTIFIER.match(key)
            _walk(item, paths.join(path, key if is_attribute else paths.Key(key)), out)
    elif isinstance(value, (list, tuple)) and value:
        for i, item in enumerate(value):
            _walk(item, paths.join(path, i), out)
    elif value is None or isinstance(value, (bool, int, float, str, bytes, list, tuple, dict)):
        out[path] = value
    else:  # TOML/YAML dates and times, YAML sets: not canonical values
        out[path] = Raw(value.isoformat() if hasattr(value, "isoformat") else repr(value))


# -- git revisions ----------------------------------------------------------------------


def _is_revision(rev: str, base: Path) -> bool:
    if not re.match(r"[\w./@^~{}-]+\Z", rev):
        return False
    from cfgdiff import git  # lazily: subprocess is not needed to diff two files

    return git.run(base, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode == 0


def _at_revision(rev: str, rest: str, base: Path) -> Source:
    from cfgdiff import git

    label = f"{rev}:{rest}"
    shown = git.run(base, "show", label, text=False)
    if shown.returncode == 0:
        suffix = Path(rest).suffix.lower()
        if suffix in DOCUMENT_SUFFIXES:
            return parse_document(shown.stdout, suffix, label)
        try:
            return Text(shown.stdout.decode("utf-8"), label)
        except UnicodeDecodeError as e:
            raise SourceError(f"{label}: not a text file ({e.reason} at byte {e.start})") from None
    if _FILE_LIKE.search(rest):
        raise SourceError(f"{rev}:{rest}: no file {rest!r} at revision {rev}")
    from cfgdiff.registry import RecipeError
    from cfgdiff.revisions import flat_at_revision

    try:
        flat = flat_at_revision(rev, rest, base)
    except (RecipeError, git.GitError) as e:
        raise SourceError(f"{label}: {e}") from None
    flat.source = label
    return flat


# -- code -------------------------------------------------------------------------------


def _recipe(name: str, base: Path, tried: list[str]) -> Source:
    from cfgdiff.registry import RecipeError, discover

    try:
        registry = discover(base)
        if name not in registry:
            tried.append(registry.unknown(name))
            raise SourceError(f"{name}: not a config source ({'; '.join(tried)})")
        return Text(registry[name].dumps(), f"recipe {name}")
    except RecipeError as e:
        raise SourceError(str(e)) from None


def _from_function(ref: str, base: Path) -> Source:
    """``package.module:function``: import the module, call the function, write its config."""
    from cfgdiff.registry import RecipeError, find

    try:
        return Text(find(ref, base).dumps(), ref)
    except RecipeError as e:
        raise SourceError(str(e)) from None
