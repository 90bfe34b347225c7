"""Checkpoints with orbax: saved every N steps and at the end, restored exactly.

A checkpoint holds ``params`` and ``opt_state`` under the step number; the data need no
state (a batch is a function of the step), so these two restore a run exactly.
"""

from __future__ import annotations

import os
from typing import Any

import orbax.checkpoint as ocp

from cfgdiff.config import Configurable


def latest_step(directory: str) -> int | None:
    """The last complete checkpoint's step under ``directory``, or None; creates nothing."""
    if not os.path.isdir(directory):
        return None
    return max(ocp.utils.checkpoint_steps(directory), default=None)


class Checkpointer(Configurable):
    """An orbax ``CheckpointManager`` over ``<run_dir>/checkpoints``."""

    class Config(Configurable.Config):
        every_steps: int = 1000  # and always at the last step
        max_to_keep: int = 3

    def __init__(self, cfg: Config, *, directory: str) -> None:
        super().__init__(cfg)
        self.directory = os.path.abspath(directory)
        self._manager = ocp.CheckpointManager(
            self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=cfg.max_to_keep, create=True)
        )

    def latest_step(self) -> int | None:
        """The last complete checkpoint's step, or None."""
        return self._manager.latest_step()

    def save(self, step: int, params: Any, opt_state: Any) -> None:
        """Start saving (asynchronously); ``wait()`` or the next save finishes it."""
        self._manager.save(
            step, args=ocp.args.Composite(params=ocp.args.StandardSave(params), opt_state=ocp.args.StandardSave(opt_state))
        )

    def restore(self, step: int, abstract_params: Any, abstract_opt_state: Any | None = None) -> dict[str, Any]:
        """``{'params': ..., 'opt_state': ...}`` at ``step``, placed as the abstract arrays' shardings say.

        Without ``abstract_opt_state`` only the parameters are read (for sampling).
        """
        items = {"params": ocp.args.StandardRestore(abstract_params)}
        if abstract_opt_state is not None:
            items["opt_state"] = ocp.args.StandardRestore(abstract_opt_state)
        return dict(self._manager.restore(step, args=ocp.args.Composite(**items)))

    def wait(self) -> None:
        """Block until pending saves are on disk."""
        self._manager.wait_until_finished()

    def close(self) -> None:
        """Finish pending saves and release orbax's threads."""
        self._manager.close()
