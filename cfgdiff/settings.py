"""A project's ``[tool.cfgdiff]`` table: found from a folder upward, checked key by key.

::

    [tool.cfgdiff]
    recipes = ["myproject.recipes"]     # modules, imported from the project root (cfgdiff.registry)
    golden_dir = "golden_configs"       # default
    impact = ["myproject.impacts"]      # figures per target (cfgdiff.impact)
    labels = {"breaks-checkpoint" = ["model.*_dim"]}   # path globs -> label (cfgdiff.labels)

Every diff reads its label rules and impact modules from here, so this module stays light:
no recipe machinery, no pathlib, and TOML is parsed only where a ``pyproject.toml``
mentions cfgdiff, once per version of the file.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from stat import S_ISREG
from typing import Any

from cfgdiff.errors import CfgdiffError

KEYS = ("recipes", "golden_dir", "impact", "labels")
DEFAULT_GOLDEN_DIR = "golden_configs"

_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


class SettingsError(CfgdiffError, ValueError):
    """A ``[tool.cfgdiff]`` that cannot be used; the message names the file and the key."""


def find(start: str | os.PathLike = ".") -> tuple[str | None, dict[str, Any]]:
    """The nearest ``pyproject.toml`` (absolute path) with a ``[tool.cfgdiff]`` table, and that table."""
    directory = os.path.realpath(start)
    if os.path.isfile(directory):
        directory = os.path.dirname(directory)
    while True:
        file = os.path.join(directory, "pyproject.toml")
        try:
            info = os.stat(file)
        except OSError:
            info = None
        if info is not None and S_ISREG(info.st_mode):
            table = _read_toml(file, info.st_mtime_ns, info.st_size).get("tool", {}).get("cfgdiff")
            if table is not None:
                if not isinstance(table, dict):
                    raise SettingsError(f"{display(file)}: [tool.cfgdiff] must be a table")
                return file, table
        parent = os.path.dirname(directory)
        if parent == directory:
            return None, {}
        directory = parent


@functools.lru_cache(maxsize=8)
def _read_toml(file: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """A TOML file's contents, read once per version of it (a command asks for its settings several times)."""
    with open(file, "rb") as f:
        data = f.read()
    if b"cfgdiff" not in data:  # however the table is spelled, its name is in the file
        return {}
    import tomllib  # here: a diff outside a cfgdiff project parses no TOML

    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SettingsError(f"{display(file)}: invalid TOML: {e}") from None


def check(pyproject: str, table: Mapping[str, Any]) -> None:
    """Raise SettingsError for an unknown key or a bad value of any key."""
    unknown = set(table) - set(KEYS)
    if unknown:
        raise SettingsError(f"{display(pyproject)}: [tool.cfgdiff] has unknown key {min(unknown)!r}; known keys: {', '.join(KEYS)}")
    recipe_modules(pyproject, table)
    golden_dir(pyproject, table)
    impact_modules(pyproject, table)
    label_rules(pyproject, table)


def recipe_modules(pyproject: str, table: Mapping[str, Any]) -> tuple[str, ...]:
    """``recipes``: the modules that declare the project's recipes (see :mod:`cfgdiff.registry`)."""
    return _module_list(pyproject, table, "recipes", "myproject.recipes")


def golden_dir(pyproject: str, table: Mapping[str, Any]) -> str:
    """``golden_dir``: the golden files' folder, relative to the project and inside it."""
    golden = table.get("golden_dir", DEFAULT_GOLDEN_DIR)
    where = f"{display(pyproject)}: [tool.cfgdiff]"
    if not isinstance(golden, str) or not golden or os.path.isabs(golden):
        raise SettingsError(f"{where} golden_dir must be a folder relative to the project, like \"golden_configs\"")
    if os.path.normpath(golden).split(os.sep)[0] == "..":  # golden update would write outside the project
        raise SettingsError(f"{where} golden_dir {golden!r} is outside the project; name a folder inside it")
    return golden


def impact_modules(pyproject: str, table: Mapping[str, Any]) -> tuple[str, ...]:
    """``impact``: modules registering impact figures (see :mod:`cfgdiff.impact`)."""
    return _module_list(pyproject, table, "impact", "myproject.impacts")


def label_rules(pyproject: str, table: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """``labels``: ``{label: [path glob, ...]}`` (see :mod:`cfgdiff.labels`)."""
    rules = table.get("labels", {})
    example = 'like labels = {"breaks-checkpoint" = ["model.*_dim"]}'
    if not isinstance(rules, dict):
        raise SettingsError(f"{display(pyproject)}: [tool.cfgdiff] labels must be a table of label = [path globs], {example}")
    out = {}
    for label, globs in rules.items():
        globs = [globs] if isinstance(globs, str) else globs
        bad_label = not label or any(c.isspace() or c == "," for c in label)
        if bad_label or not isinstance(globs, list) or not all(isinstance(g, str) and g for g in globs):
            raise SettingsError(f"{display(pyproject)}: [tool.cfgdiff] labels.{label}: "
                                f"a label (no spaces or commas) takes a list of path globs, {example}")
        out[label] = tuple(globs)
    return out


def _module_list(pyproject: str, table: Mapping[str, Any], key: str, example: str) -> tuple[str, ...]:
    """A module name or a list of them; SettingsError naming the key otherwise."""
    modules = table.get(key, [])
    if isinstance(modules, str):
        modules = [modules]
    if not isinstance(modules, list) or not all(isinstance(m, str) and _MODULE.match(m) for m in modules):
        raise SettingsError(f"{display(pyproject)}: [tool.cfgdiff] {key} must be a list of module names, like {key} = [\"{example}\"]")
    return tuple(modules)


def is_module_name(text: str) -> bool:
    """Whether ``text`` is a dotted module name (``myproject.recipes``)."""
    return _MODULE.match(text) is not None


def display(path: str | os.PathLike | None) -> str:
    """A path relative to the current directory when it is below it, else absolute."""
    if path is None:
        return "?"
    text = os.fspath(path)
    if text.startswith("<"):
        return text
    try:
        relative = os.path.relpath(text)
    except ValueError:
        return text
    return text if relative.startswith("..") else relative
