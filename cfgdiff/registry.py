"""The recipe registry: named, zero-argument functions that return a config.

A project names its recipe modules and golden folder in ``pyproject.toml``
(:mod:`cfgdiff.settings` reads it)::

    [tool.cfgdiff]
    recipes = ["myproject.recipes"]     # modules, imported from the project root
    golden_dir = "golden_configs"       # default
    impact = ["myproject.impacts"]      # figures per target (cfgdiff.impact)
    labels = {"breaks-checkpoint" = ["model.*_dim"]}   # path globs -> label (cfgdiff.labels)

A recipe module lists its recipes either way (or both):

* ``@cfgdiff.recipe`` / ``@cfgdiff.recipe(name="gpt2-small")`` on a module-level function;
* a module-level ``named_recipes()`` returning ``{name: fn}`` (AXLearn's
  ``named_trainer_configs``).

:func:`discover` reads ``[tool.cfgdiff]`` from the nearest ``pyproject.toml`` that has it,
from a directory upward; outside any such project it falls back to cfgdiff's own
built-in recipes. A module that fails to import does not hide the others: its failure is
kept in ``Registry.errors`` as one line, ``recipe module NAME: Type: message (file:line)``.
Two recipes with one name, or a name that could not be a file name, is an error naming
both places.

Building a recipe from the code at a git revision is :mod:`cfgdiff.revisions`' job.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from cfgdiff import settings
from cfgdiff.canonical import FlatConfig, Text, dumps
from cfgdiff.config import ConfigBase
from cfgdiff.errors import CfgdiffError, did_you_mean

RecipeFn = Callable[[], Any]

#: cfgdiff's own recipes, used when no pyproject.toml with [tool.cfgdiff] is found.
BUILTIN_MODULES = ("cfgdiff.recipes.lm",)

# Frames in these files are cfgdiff's machinery, not the place a recipe went wrong.
_LIBRARY_FILES = {
    str(Path(__file__).resolve().parent / name)
    for name in ("config.py", "canonical.py", "paths.py", "registry.py")
}


class RecipeError(CfgdiffError, ValueError):
    """A recipe that cannot be registered, imported or built: ``recipe NAME: Type: message (file:line)``."""


class UnknownRecipeError(CfgdiffError, KeyError):
    """A recipe name that is not registered; the message suggests the closest one."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A registered recipe: its name, function, module and ``file:line``."""

    name: str
    fn: RecipeFn
    module: str
    location: str

    def build(self) -> Any:
        """Call the recipe function; any failure is a :class:`RecipeError` saying where."""
        try:
            return self.fn()
        except Exception as e:  # a recipe is user code: anything it raises is reported, not a crash
            raise self.error(e) from e

    def dumps(self, header: str | None = None, tree: Any = None) -> str:
        """The canonical text of the built config (or of ``tree``, a config it built already)."""
        tree = self.build() if tree is None else tree
        try:
            return dumps(tree, header=header)
        except Exception as e:
            raise self.error(e) from e

    def origins(self, tree: Any, root: str | os.PathLike | None = None) -> dict[str, Any] | None:
        """Where each field of the built ``tree`` was set (:func:`cfgdiff.provenance.origins`),
        files relative to ``root`` (default: the project root found from the current
        directory); None when the recipe returns something other than a config."""
        from cfgdiff import provenance

        return provenance.origins(tree, root) if isinstance(tree, ConfigBase) else None

    def text(self, source: str | None = None, root: str | os.PathLike | None = None) -> Text:
        """The canonical text of the built config, with where each field was set."""
        tree = self.build()
        return Text(self.dumps(tree=tree), source or f"recipe {self.name}", self.origins(tree, root))

    def flat(self, root: str | os.PathLike | None = None) -> FlatConfig:
        """The built config as a FlatConfig, exactly as its golden file would read, with its origins."""
        return self.text(root=root).flat()

    def error(self, e: BaseException) -> RecipeError:
        """``e`` as this recipe's one-line error."""
        return RecipeError(f"recipe {self.name}: {_describe(e)} ({_where(e, self.location)})")


def recipe(fn: RecipeFn | None = None, *, name: str | None = None) -> Any:
    """Register a zero-argument function returning a config as a recipe.

    >>> @recipe
    ... def tiny_lm(): ...
    >>> @recipe(name="gpt2-small")
    ... def gpt2_small(): ...

    The name defaults to the function's name. The function is returned unchanged.
    """

    def register(fn: RecipeFn) -> RecipeFn:
        recipe_name = fn.__name__ if name is None else name
        module_name = getattr(fn, "__module__", None) or "__main__"
        entry = Recipe(recipe_name, fn, module_name, _location(fn))
        module = sys.modules.get(module_name)
        owner, entries = _DECORATED.get(module_name, (None, []))
        if owner is not module:  # the module was imported afresh: forget the old import's recipes
            entries = []
        entries.append(entry)
        _DECORATED[module_name] = (module, entries)
        return fn

    return register(fn) if fn is not None else register


# module name -> (the module object that registered them, its recipes)
_DECORATED: dict[str, tuple[ModuleType | None, list[Recipe]]] = {}


class Registry(Mapping[str, Recipe]):
    """The recipes of one project, by name, with where the project and its golden files are.

    ``pyproject`` is None for the built-in fallback. ``errors`` holds one
    :class:`RecipeError` per recipe module that failed to import.
    """

    def __init__(
        self,
        recipes: Mapping[str, Recipe],
        *,
        root: Path,
        golden_dir: Path,
        pyproject: Path | None,
        modules: tuple[str, ...],
        errors: list[RecipeError],
    ) -> None:
        self._recipes = dict(sorted(recipes.items()))
        self.root = root
        self.golden_dir = golden_dir
        self.pyproject = pyproject
        self.modules = modules
        self.errors = errors

    def __getitem__(self, name: str) -> Recipe:
        try:
            return self._recipes[name]
        except KeyError:
            raise UnknownRecipeError(self.unknown(name)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._recipes)

    def __len__(self) -> int:
        return len(self._recipes)

    def __contains__(self, name: object) -> bool:
        return name in self._recipes

    def unknown(self, name: str) -> str:
        """The message for a name that is not registered, with a suggestion."""
        hint = did_you_mean(name, self._recipes)
        where = f" in {settings.display(self.pyproject)}" if self.pyproject else " (built-in recipes)"
        message = f"unknown recipe {name!r}{hint}; 'cfgdiff list' shows the recipes{where}"
        if self.errors:
            message += f"; also, {self.errors[0]}"
        return message


def discover(start: str | os.PathLike = ".") -> Registry:
    """The recipes of the project containing ``start`` (see the module docstring).

    Puts the project root on ``sys.path`` so its recipe modules import from there.
    Raises SettingsError for a bad ``[tool.cfgdiff]``, RecipeError for a bad recipe name or a name used twice.
    """
    file, table = settings.find(start)
    pyproject = Path(file) if file is not None else None
    if file is None:
        root = Path(start).resolve()
        modules, golden = BUILTIN_MODULES, settings.DEFAULT_GOLDEN_DIR
    else:
        settings.check(file, table)
        root = pyproject.parent
        modules, golden = settings.recipe_modules(file, table), settings.golden_dir(file, table)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()  # modules written since the last import (tests, generated recipes)

    found: dict[str, Recipe] = {}
    errors: list[RecipeError] = []
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
            module_recipes = _module_recipes(module)
        except RecipeError:
            raise
        except Exception as e:  # an import runs user code: report it, keep checking the rest
            errors.append(RecipeError(f"recipe module {module_name}: {_describe(e)} ({_where(e, settings.display(pyproject))})"))
            continue
        for entry in module_recipes:
            _add(found, entry)
    return Registry(
        found,
        root=root,
        golden_dir=root / golden,
        pyproject=pyproject,
        modules=tuple(modules),
        errors=errors,
    )


def _module_recipes(module: ModuleType) -> list[Recipe]:
    """Recipes a listed module declares: decorated in it (or its submodules), and its ``named_recipes()``."""
    prefix = module.__name__ + "."
    out = [
        entry
        for name, (owner, entries) in _DECORATED.items()
        if (name == module.__name__ or name.startswith(prefix)) and owner is sys.modules.get(name)
        for entry in entries
    ]
    named = getattr(module, "named_recipes", None)
    if named is not None:
        fallback = f"{settings.display(getattr(module, '__file__', None) or module.__name__)}"
        try:
            table = named()
        except Exception as e:
            raise RecipeError(f"recipe module {module.__name__}: named_recipes() failed: {_describe(e)} ({_where(e, fallback)})") from e
        if not isinstance(table, Mapping):
            raise RecipeError(f"recipe module {module.__name__}: named_recipes() must return {{name: fn}}, got {type(table).__name__}")
        for name, fn in table.items():
            if not callable(fn):
                raise RecipeError(f"recipe {name}: named_recipes() in {module.__name__} gives {type(fn).__name__}, not a function")
            out.append(Recipe(name, fn, module.__name__, _location(fn, fallback)))
    return out


def _add(found: dict[str, Recipe], entry: Recipe) -> None:
    check_name(entry.name, entry.location)
    other = found.get(entry.name)
    if other is None:
        found[entry.name] = entry
    elif other.fn is not entry.fn:  # the same function both decorated and listed is one recipe
        raise RecipeError(f"recipe {entry.name}: defined twice, at {other.location} and at {entry.location}; rename one")


def check_name(name: object, location: str = "?") -> None:
    """Raise RecipeError unless ``name`` can be a recipe name (it becomes ``<name>.txt``)."""
    if not isinstance(name, str) or not name:
        raise RecipeError(f"recipe {name!r} ({location}): a recipe name must be a non-empty string")
    bad = next((c for c in ("/", "\\", ":", "\0") if c in name), None)
    if bad or ".." in name or name.startswith(".") or any(c.isspace() for c in name):
        why = f"contains {bad!r}" if bad else "contains '..'" if ".." in name else "starts with '.' or contains whitespace"
        raise RecipeError(f"recipe {name!r} ({location}): bad name, {why}; a name becomes a file name, <name>.txt")


def find(name_or_ref: str, start: str | os.PathLike = ".") -> Recipe:
    """A recipe by registered name, or a ``package.module:function`` reference."""
    module_name, sep, attr = name_or_ref.partition(":")
    if sep and settings.is_module_name(module_name) and settings.is_module_name(attr):
        return _by_reference(module_name, attr, start)
    return discover(start)[name_or_ref]


def _by_reference(module_name: str, attr: str, start: str | os.PathLike) -> Recipe:
    pyproject, _ = settings.find(start)
    root = os.path.dirname(pyproject) if pyproject else os.path.realpath(start)
    if root not in sys.path:
        sys.path.insert(0, root)
    ref = f"{module_name}:{attr}"
    try:
        module = importlib.import_module(module_name)
    except Exception as e:
        raise RecipeError(f"recipe {ref}: {_describe(e)} ({_where(e, module_name)})") from e
    fn: Any = module
    for part in attr.split("."):
        fn = getattr(fn, part, None)
    if isinstance(fn, ConfigBase):  # a config kept at module level: each build gets a copy
        return Recipe(ref, fn.clone, module_name, settings.display(getattr(module, "__file__", None)))
    if not callable(fn):
        raise RecipeError(f"recipe {ref}: {module_name} has no function or config {attr!r}")
    return Recipe(ref, fn, module_name, _location(fn, module_name))


# -- one-line descriptions ------------------------------------------------------------


def _describe(e: BaseException) -> str:
    text = " ".join(str(e).split()) if not isinstance(e, SyntaxError) else (e.msg or "invalid syntax")
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _where(e: BaseException, fallback: str) -> str:
    """``file:line`` where ``e`` was raised in project code (not in cfgdiff's machinery)."""
    if isinstance(e, SyntaxError) and e.filename:
        return f"{settings.display(e.filename)}:{e.lineno}"
    import traceback  # here: only a failing recipe needs it

    frames = [f for f in traceback.extract_tb(e.__traceback__) if not f.filename.startswith("<")]
    frames = [f for f in frames if str(Path(f.filename).resolve()) not in _LIBRARY_FILES and "importlib" not in f.filename]
    if frames:
        return f"{settings.display(frames[-1].filename)}:{frames[-1].lineno}"
    return fallback


def _location(fn: Any, fallback: str = "?") -> str:
    target = fn
    while isinstance(target, functools.partial):
        target = target.func
    target = inspect.unwrap(target) if callable(target) else target
    code = getattr(target, "__code__", None)
    if code is not None:
        return f"{settings.display(code.co_filename)}:{code.co_firstlineno}"
    try:
        return f"{settings.display(inspect.getsourcefile(target) or fallback)}:{inspect.getsourcelines(target)[1]}"
    except (TypeError, OSError):
        return fallback


