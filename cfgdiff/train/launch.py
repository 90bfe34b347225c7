"""From a recipe name and ``--set`` overrides to the exact config a run uses, and its run directory.

Nothing here imports jax: ``cfgdiff run --aot --devices N`` must set ``XLA_FLAGS`` first.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Sequence
from typing import Any

from cfgdiff import canonical
from cfgdiff.config import ConfigBase, ConfigError

def recipe_config(recipe: str, overrides: Sequence[str] = (), steps: int | None = None) -> Any:
    """The recipe's config with ``PATH=VALUE`` overrides (values in canonical text) and ``--steps``."""
    from cfgdiff.registry import find

    cfg = find(recipe).build()
    for item in overrides:
        apply_override(cfg, item)
    if steps is not None:
        cfg.set_path("max_steps", steps)
    return cfg


def apply_override(cfg: ConfigBase, item: str) -> None:
    """Apply one ``PATH=VALUE``: ``model.num_layers=4``, ``model.compute_dtype=jax.numpy.bfloat16``.

    Strings need quotes (``data.source.path='notes.txt'``); dotted names are imported.
    """
    path, sep, text = item.partition("=")
    path, text = path.strip(), text.strip()
    if not sep or not path:
        raise ConfigError(f"--set {item!r}: expected PATH=VALUE, like --set model.num_layers=4")
    if not text:
        raise ConfigError(f"--set {item!r}: missing value after '='; an empty string is {path}=\"''\"")
    value = canonical.parse_value(text)
    if isinstance(value, canonical.Raw):
        raise ConfigError(f"--set {path}: cannot parse {text!r} as a value; strings need quotes: {path}=\"'{text}'\"")
    if isinstance(value, canonical.Symbol):
        value = _import(value.name, path, text)
    current = _current(cfg, path)
    if isinstance(current, ConfigBase) and not isinstance(value, ConfigBase):
        first = next((k for k in current.keys() if k not in ("klass", "fn")), "FIELD")
        raise ConfigError(f"--set {path}: {path} is a config ({current.target_key}: {canonical.format_value(canonical.import_name(current.target))}); set its fields, like {path}.{first}=...")
    cfg.set_path(path, value)


def _current(cfg: ConfigBase, path: str) -> Any:
    """The value at ``path`` now, or None where it does not exist (``set_path`` then says why)."""
    found: dict[str, Any] = {}
    cfg.visit(lambda p, v: found.__setitem__(p, v) if p == path else None)
    return found.get(path)


def _import(name: str, path: str, text: str) -> Any:
    module_name, _, attr = name.rpartition(".")
    while module_name:
        try:
            obj: Any = importlib.import_module(module_name)
            break
        except ImportError:
            module_name, _, head = module_name.rpartition(".")
            attr = f"{head}.{attr}"
    else:
        raise ConfigError(f"--set {path}: {text} is not an importable name; strings need quotes: {path}=\"'{text}'\"")
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"--set {path}: {module_name} has no {attr!r}; strings need quotes: {path}=\"'{text}'\"")
        obj = getattr(obj, part)
    return obj


def default_run_dir(recipe: str) -> str:
    """``runs/<recipe>``, with the name made safe for a folder (``pkg.mod:fn`` -> ``fn``)."""
    name = re.split(r"[:.]", recipe)[-1] or "run"
    return os.path.join("runs", re.sub(r"[^A-Za-z0-9_.-]", "_", name))


def write_config(cfg: ConfigBase, run_dir: str, command: str) -> None:
    """Write ``<run_dir>/config.txt``; a run dir whose checkpoints this config cannot load is an error.

    A change to a field labelled ``breaks-checkpoint`` (:mod:`cfgdiff.labels`: parameter
    shapes and dtypes, the optimizer's state) refuses, naming the fields; any other change
    (steps, learning rate) resumes the run under the new config.
    """
    from cfgdiff.labels import Labeler

    text = canonical.dumps(cfg, header=f"cfgdiff run config\n{command}")
    path = os.path.join(run_dir, "config.txt")
    if os.path.exists(path):
        old, new = canonical.load(path), canonical.loads(text)
        changed = sorted(p for p in set(old) | set(new) if p not in old or p not in new or not canonical.values_equal(old[p], new[p]))
        breaking = Labeler.for_project().breaking(changed)  # the project the recipe came from
        if breaking:
            more = f" and {len(breaking) - 3} more" if len(breaking) > 3 else ""
            raise ConfigError(
                f"{run_dir} holds a run whose checkpoints this config cannot load ({', '.join(breaking[:3])}{more} "
                f"differ: breaks-checkpoint); use a new --run-dir, or 'cfgdiff {path} RECIPE' to see the difference"
            )
    os.makedirs(run_dir, exist_ok=True)
    canonical.write_text_atomic(path, text)
