"""Pictures of runs: ``cfgdiff plot RUN_DIR [RUN_DIR ...] [-o FILE]``.

Loss and eval loss against step, and tokens/s against step, one colour per run, overlaid.
The title names the config fields that differ between the runs, found by the diff engine
on their ``config.txt``, and each run's legend entry gives its values of those fields: the
picture says what was compared. matplotlib is an optional extra (``pip install
'cfgdiff[plot]'``), drawn with the Agg backend so no display is needed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cfgdiff import canonical
from cfgdiff.diff import diff
from cfgdiff.errors import CfgdiffError
from cfgdiff.runs import read_records

#: Fields named in a title and legend at most; the rest are counted.
MAX_FIELDS = 4


class PlotError(CfgdiffError):
    """A run directory that cannot be plotted, or matplotlib missing."""


def load_matplotlib() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, or a PlotError saying how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise PlotError("plotting needs matplotlib: pip install 'cfgdiff[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def read_run(run_dir: str) -> list[dict[str, Any]]:
    """The metrics records of ``run_dir``, less a last line still being written; a PlotError when it has none."""
    if not os.path.isdir(run_dir):
        raise PlotError(f"{run_dir}: not a directory")
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.exists(path):
        raise PlotError(f"{run_dir}: no metrics.jsonl: not a run directory, or a run that has not finished a step")
    found, bad = read_records(path)
    if bad and _unfinished(path):
        bad.pop()  # the record a live run is writing right now: its last line, cut short
    if bad:
        raise PlotError(f"{path}:{bad[0]}: not a JSON record")
    records = [r for r in found if r.get("step") is not None]
    if not records:
        raise PlotError(f"{path}: no records yet")
    return records


def _unfinished(path: str) -> bool:
    """Whether the file's last line has no newline yet."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


def differing_fields(run_dirs: Sequence[str]) -> list[str]:
    """Paths whose values differ between the runs' ``config.txt`` (each compared with the first), sorted."""
    configs = [Path(d, "config.txt") for d in run_dirs]
    missing = [c for c in configs if not c.exists()]
    if len(run_dirs) < 2 or missing:
        return []
    paths: set[str] = set()
    for other in configs[1:]:
        result = diff(configs[0], other)
        paths.update(f.path for f in (*result.changed, *result.added, *result.removed))
        for move in result.moved:
            paths.update((move.old_path, move.new_path))
    return sorted(paths)


def run_label(run_dir: str, fields: Sequence[str]) -> str:
    """``'runs/a (model.num_layers=2)'``: the run and its values of the differing ``fields``."""
    if not fields:
        return run_dir
    flat = canonical.load(os.path.join(run_dir, "config.txt"))
    shown = [f"{p}={canonical.format_value(flat[p]) if p in flat else '(none)'}" for p in fields[:MAX_FIELDS]]
    return f"{run_dir} ({', '.join(shown)}{_more(fields)})"


def title(run_dirs: Sequence[str], fields: Sequence[str]) -> str:
    """The figure's title: the one run, or what differs between several."""
    if len(run_dirs) == 1:
        return run_dirs[0]
    if not fields:
        return f"{len(run_dirs)} runs, same config"
    return f"{len(run_dirs)} runs differing in {', '.join(fields[:MAX_FIELDS])}{_more(fields)}"


def plot_runs(run_dirs: Sequence[str], output: str) -> str:
    """Draw the runs' loss, eval loss and tokens/s into the PNG ``output`` (written atomically); returns ``output``."""
    runs = {d: read_run(d) for d in run_dirs}  # bad input fails before matplotlib is even loaded
    plt = load_matplotlib()
    fields = differing_fields(run_dirs)
    fig, (loss_ax, speed_ax) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True, height_ratios=(2, 1))
    try:
        for i, (run_dir, records) in enumerate(runs.items()):
            color = f"C{i}"
            label = run_label(run_dir, fields)
            steps = [r["step"] for r in records]
            loss_ax.plot(steps, [r.get("loss") for r in records], color=color, linewidth=1, label=f"{label} loss")
            evals = [(r["step"], r["eval_loss"]) for r in records if r.get("eval_loss") is not None]
            if evals:
                loss_ax.plot(*zip(*evals), color=color, linestyle="--", marker="o", markersize=3, label=f"{label} eval loss")
            speed_ax.plot(steps, [r.get("tokens_per_s") for r in records], color=color, linewidth=1)
        loss_ax.set_ylabel("loss (nats/token)")
        loss_ax.legend(fontsize="small")
        loss_ax.grid(alpha=0.3)
        speed_ax.set_ylabel("tokens/s")
        speed_ax.yaxis.set_major_formatter("{x:,.0f}")
        speed_ax.set_xlabel("step")
        speed_ax.grid(alpha=0.3)
        fig.suptitle(title(list(runs), fields), fontsize="medium")
        fig.tight_layout()
        _save_atomic(fig, output)
    finally:
        plt.close(fig)
    return output


def _save_atomic(fig: Any, output: str) -> None:
    # A temporary PNG beside the target, renamed over it: a crash never leaves half a picture.
    directory = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(directory):
        raise PlotError(f"{output}: no directory {directory}")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(output)}.", suffix=".png", dir=directory)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=100)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException:
        os.unlink(tmp)
        raise


def _more(fields: Sequence[str]) -> str:
    return f" and {len(fields) - MAX_FIELDS} more" if len(fields) > MAX_FIELDS else ""
