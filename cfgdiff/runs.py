"""A run is more than its config: what it achieved, read from the files a run directory holds.

``cfgdiff run`` writes ``config.txt``, ``metrics.jsonl`` (one JSON object per step) and
``data.json`` (corpus hash, versions) into its run directory. :func:`read_outcome` gathers
the figures a reviewer compares runs by: final and eval loss, steps, median tokens/s and
MFU, corpus hash and jax version. A run still going, or one that crashed, leaves partial
files: whatever is missing is None and named in ``notes``, a line that is not JSON is
counted there too, and nothing here raises for a file's content.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from dataclasses import dataclass
from typing import Any

from cfgdiff.train.metrics import steady_steps

METRICS_FILE = "metrics.jsonl"
DATA_FILE = "data.json"
CONFIG_FILE = "config.txt"


@dataclass(frozen=True)
class Outcome:
    """What one run achieved; None where its files do not say, with the reason in ``notes``."""

    run_dir: str
    final_loss: float | None = None
    eval_loss: float | None = None
    steps: int | None = None
    tokens_per_s: float | None = None  # the median over the steady steps (train.metrics.steady_steps)
    mfu: float | None = None  # the same, over those that report one (not on CPUs)
    corpus_sha256: str | None = None
    jax_version: str | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The figures and notes as JSON-ready data (unknown figures are null)."""
        return {attribute: getattr(self, attribute) for attribute, _ in FIGURES} | {"notes": list(self.notes)}


#: The figures in the order they are shown: (attribute, label).
FIGURES: tuple[tuple[str, str], ...] = (
    ("final_loss", "final loss"),
    ("eval_loss", "eval loss"),
    ("steps", "steps"),
    ("tokens_per_s", "tokens/s (median)"),
    ("mfu", "MFU (median)"),
    ("corpus_sha256", "corpus sha256"),
    ("jax_version", "jax"),
)


def is_run_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a directory holding ``config.txt`` (what ``cfgdiff run`` writes)."""
    return os.path.isfile(os.path.join(path, CONFIG_FILE))


def read_outcome(run_dir: str | os.PathLike) -> Outcome:
    """The outcome of the run in ``run_dir``, from ``metrics.jsonl`` and ``data.json``.

    >>> read_outcome("runs/tiny_lm").final_loss   # doctest: +SKIP
    2.5335
    """
    notes: list[str] = []
    figures = _metrics_figures(os.path.join(run_dir, METRICS_FILE), notes)
    figures.update(_data_figures(os.path.join(run_dir, DATA_FILE), notes))
    return Outcome(os.fspath(run_dir), **figures, notes=tuple(notes))


def format_figure(attribute: str, value: Any) -> str:
    """A figure as a reviewer reads it: ``2.5335``, ``52,040``, ``43.1%``; ``-`` when unknown."""
    if value is None:
        return "-"
    if attribute in ("final_loss", "eval_loss"):
        return f"{value:.4f}"
    if attribute == "tokens_per_s":
        return f"{value:,.0f}"
    if attribute == "mfu":
        return f"{value:.1%}"
    if attribute == "steps":
        return f"{value:,}"
    if attribute == "corpus_sha256":
        return value[:12]  # enough to tell corpora apart; JSON carries the whole hash
    return str(value)


def _metrics_figures(path: str, notes: list[str]) -> dict[str, Any]:
    records, bad = _read_jsonl(path, notes)
    if bad:
        where = f"line {bad[0]}" if len(bad) == 1 else f"{len(bad)} lines, first line {bad[0]}"
        notes.append(f"{METRICS_FILE}: skipped what is not a JSON object ({where})")
    if records is None:
        return {}
    if not records:
        notes.append(f"{METRICS_FILE}: no steps logged")
        return {}
    last = records[-1]
    evals = [r["eval_loss"] for r in records if _number(r.get("eval_loss"))]
    steady = steady_steps(records)  # the medians `cfgdiff run` reports: compile and eval steps left out
    speeds = [r["tokens_per_s"] for r in steady if _number(r.get("tokens_per_s"))]
    mfus = [r["mfu"] for r in steady if _number(r.get("mfu"))]
    steps = last.get("step")
    return {
        "final_loss": last["loss"] if _number(last.get("loss")) else None,
        "eval_loss": evals[-1] if evals else None,
        "steps": steps if type(steps) is int else None,
        "tokens_per_s": statistics.median(speeds) if speeds else None,
        "mfu": statistics.median(mfus) if mfus else None,
    }


def read_records(path: str | os.PathLike) -> tuple[list[dict[str, Any]], list[int]]:
    """The JSON objects of a ``metrics.jsonl`` file, in order, and the numbers of the lines
    that are not one (a run still writing, or killed mid-line, leaves half a line last).

    Raises OSError (FileNotFoundError) when the file cannot be read.
    """
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    records, bad = [], []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            records.append(record)
        else:
            bad.append(lineno)
    return records, bad


def _read_jsonl(path: str, notes: list[str]) -> tuple[list[dict[str, Any]] | None, list[int]]:
    """:func:`read_records`, with what went wrong said in ``notes`` instead of raised."""
    try:
        return read_records(path)
    except FileNotFoundError:
        notes.append(f"no {METRICS_FILE}")
    except OSError as e:
        notes.append(f"{METRICS_FILE}: {e.strerror or e}")
    return None, []


def _data_figures(path: str, notes: list[str]) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            info = json.load(f)
    except FileNotFoundError:
        notes.append(f"no {DATA_FILE}")
        return {}
    except ValueError as e:
        notes.append(f"{DATA_FILE}: not JSON ({e})")
        return {}
    except OSError as e:
        notes.append(f"{DATA_FILE}: {e.strerror or e}")
        return {}
    if not isinstance(info, dict):
        notes.append(f"{DATA_FILE}: not a JSON object")
        return {}
    sha, jax_version = info.get("corpus_sha256"), info.get("jax")
    return {
        "corpus_sha256": sha if isinstance(sha, str) else None,
        "jax_version": jax_version if isinstance(jax_version, str) else None,
    }


def _number(value: Any) -> bool:
    # The trainer writes a non-finite float as null; bools are not figures.
    return type(value) in (int, float) and math.isfinite(value)
