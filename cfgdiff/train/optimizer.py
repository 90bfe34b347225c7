"""Optimizer helpers that optax spells with ``*args``, which a config cannot name.

Everything else about the optimizer is optax itself, configured with
``config_for_function``; see :mod:`cfgdiff.recipes.lm`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import optax

from cfgdiff.config import ConfigBase


def chain(transforms: Sequence[optax.GradientTransformation]) -> optax.GradientTransformation:
    """``optax.chain(*transforms)`` with the transforms as one named list field.

    In canonical text: ``optimizer.transforms[0].fn: optax.clip_by_global_norm``.
    """
    return optax.chain(*transforms)


def find_learning_rate(optimizer_cfg: Any) -> Any:
    """The first ``learning_rate`` field in an optimizer config tree (a schedule config or a float).

    The trainer builds it a second time to log the learning rate of each step.
    """
    if isinstance(optimizer_cfg, ConfigBase):
        if "learning_rate" in optimizer_cfg.keys():
            return optimizer_cfg.learning_rate
        children = [v for _, v in optimizer_cfg.items()]
    elif isinstance(optimizer_cfg, (list, tuple)):
        children = list(optimizer_cfg)
    else:
        return None
    for child in children:
        found = find_learning_rate(child)
        if found is not None:
            return found
    return None


def decay_mask(params: Any) -> Any:
    """Weight decay on matrices only: ``True`` except for norm scales (for ``optax.adamw(mask=...)``)."""
    return jax.tree_util.tree_map_with_path(lambda path, _: not str(getattr(path[-1], "key", "")).endswith("norm"), params)
