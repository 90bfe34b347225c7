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
    """The recipe's config with ``--steps`` and then ``PATH=VALUE`` overrides (values in canonical text)."""
    from cfgdiff.registry import find

    cfg = find(recipe).build()
    follows = isinstance(cfg, ConfigBase) and "max_steps" in cfg.keys()  # a reference-Trainer config
    if steps is not None and follows:
        set_max_steps(cfg, steps)
    for item in overrides:
        if follows and item.partition("=")[0].strip() == "max_steps":  # the same as --steps: the schedule follows
            probe = cfg.clone()
            apply_override(probe, item)
            set_max_steps(cfg, probe.max_steps)
        else:
            apply_override(cfg, item)
    return cfg


def set_max_steps(cfg: ConfigBase, steps: Any) -> None:
    """Set ``max_steps`` and stretch every schedule that spans the run to the new length.

    A schedule spans the run when its ``decay_steps`` equals ``max_steps`` (as the LM
    recipes build it); its ``decay_steps`` becomes ``steps`` and its ``warmup_steps`` keeps
    its fraction of the run, so the canonical text shows the values the run will use.
    """
    old = cfg.max_steps
    cfg.max_steps = steps
    if not isinstance(old, int) or not isinstance(steps, int) or isinstance(steps, bool) or old <= 0:
        return
    schedules: list[ConfigBase] = []
    cfg.visit(lambda _, v: schedules.append(v) if isinstance(v, ConfigBase) and "decay_steps" in v.keys() and v.decay_steps == old else None)
    for schedule in schedules:
        if isinstance(getattr(schedule, "warmup_steps", None), int):
            schedule.warmup_steps = round(schedule.warmup_steps * steps / old)
        schedule.decay_steps = steps


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
    """``runs/<recipe>``, with the name made safe for a folder (``pkg.mod:fn`` -> ``fn``; ``sweep-lr0.01`` stays)."""
    name = recipe.rpartition(":")[2].strip(".") or "run"
    return os.path.join("runs", re.sub(r"[^A-Za-z0-9_.-]", "_", name))


def write_config(cfg: ConfigBase, run_dir: str, command: str) -> None:
    """Write ``<run_dir>/config.txt``, after :func:`refuse_other_config`."""
    refuse_other_config(cfg, run_dir)
    os.makedirs(run_dir, exist_ok=True)
    canonical.write_text_atomic(os.path.join(run_dir, "config.txt"), canonical.dumps(cfg, header=f"cfgdiff run config\n{command}"))


def refuse_other_config(cfg: ConfigBase, run_dir: str) -> None:
    """Raise :class:`ConfigError` when ``run_dir`` holds a run whose checkpoints ``cfg`` cannot load.

    A change to a field labelled ``breaks-checkpoint`` (:mod:`cfgdiff.labels`: parameter
    shapes and dtypes, the optimizer's state) refuses, naming the fields; any other change
    (steps, the schedule, the learning rate) resumes the run under the new config.
    """
    from cfgdiff.labels import Labeler

    path = os.path.join(run_dir, "config.txt")
    if os.path.exists(path):
        old, new = canonical.load(path), canonical.loads(canonical.dumps(cfg))
        changed = sorted(p for p in set(old) | set(new) if p not in old or p not in new or not canonical.values_equal(old[p], new[p]))
        breaking = Labeler.for_project().breaking(changed)  # the project the recipe came from
        if breaking:
            more = f" and {len(breaking) - 3} more" if len(breaking) > 3 else ""
            raise ConfigError(
                f"{run_dir} holds a run whose checkpoints this config cannot load ({', '.join(breaking[:3])}{more} "
                f"differ: breaks-checkpoint); use a new --run-dir, or 'cfgdiff {path} RECIPE' to see the difference"
            )

