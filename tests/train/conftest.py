"""Shared fixtures: one 50-step tiny_lm run that several tests read."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from cfgdiff.recipes.lm import tiny_lm


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """tiny_lm trained for its 50 steps: ``run_dir``, ``records`` and ``seconds``."""
    run_dir = tmp_path_factory.mktemp("tiny_lm")
    start = time.perf_counter()
    records = tiny_lm().instantiate().run(str(run_dir))
    return {"run_dir": Path(run_dir), "records": records, "seconds": time.perf_counter() - start}
