"""Training metrics: one JSON object per step in ``metrics.jsonl``, progress, MFU."""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from typing import Any, TextIO

#: Dense bf16 peak FLOP/s per device, by the start of ``jax.Device.device_kind``; the first
#: matching prefix wins, so variants come before their family. MFU is reported against
#: these whatever the compute dtype (PaLM's convention).
PEAK_FLOPS: tuple[tuple[str, float], ...] = (
    ("NVIDIA H100 PCIe", 756e12),
    ("NVIDIA H100 NVL", 835e12),
    ("NVIDIA H100", 989e12),  # SXM: "NVIDIA H100 80GB HBM3"
    ("NVIDIA H200 NVL", 835e12),
    ("NVIDIA H200", 989e12),
    ("NVIDIA GH200", 989e12),
    ("NVIDIA A100", 312e12),  # SXM4 and PCIe alike
    ("NVIDIA B200", 2250e12),
    ("NVIDIA L4", 121e12),
    ("TPU v4", 275e12),
    ("TPU v5 lite", 197e12),  # v5e
    ("TPU v5e", 197e12),
    ("TPU v5p", 459e12),
    ("TPU v5", 459e12),  # JAX reports a v5p as "TPU v5"
    ("TPU v6 lite", 918e12),  # v6e (Trillium)
    ("TPU v6e", 918e12),
)


def peak_flops(device_kind: str) -> float | None:
    """The device's peak FLOP/s from :data:`PEAK_FLOPS`, or None (CPUs: MFU is not reported)."""
    for prefix, flops in PEAK_FLOPS:
        if device_kind.startswith(prefix):
            return flops
    return None


def steady_steps(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps that neither compiled nor evaluated, whose speed is the run's own (all
    steps if none are left): what the run's tokens/s and MFU are medians of."""
    return [r for r in records if "compile_s" not in r and r.get("eval_loss") is None] or records


def steady_state(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Median tokens/s and MFU of the :func:`steady_steps`, and how many there are."""
    steady = steady_steps(records)
    mfus = [r["mfu"] for r in steady if r.get("mfu") is not None]
    return {
        "tokens_per_s": statistics.median(r["tokens_per_s"] for r in steady),
        "mfu": statistics.median(mfus) if mfus else None,
        "steps": len(steady),
    }


class MetricsLog:
    """Appends metrics to a JSONL file, flushed per record, and shows progress.

    On a terminal: a progress bar. Otherwise (a log file, a batch job): one line every
    ``progress_every_s`` seconds, and at the first and last step, with the step, loss,
    tokens/s and the time left.
    """

    def __init__(self, path: str, total_steps: int, first_step: int, stream: TextIO | None = None,
                 progress_every_s: float = 10.0) -> None:
        self._file = open(path, "a", encoding="utf-8")
        self._stream = sys.stderr if stream is None else stream
        self._total, self._first = total_steps, first_step
        self._every, self._last_line = progress_every_s, -math.inf
        self._started = time.monotonic()
        self._bar = None
        if hasattr(self._stream, "isatty") and self._stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total_steps, initial=first_step, file=self._stream, unit="step", dynamic_ncols=True)

    def write(self, record: dict[str, Any]) -> None:
        """Log one step's metrics (non-finite floats are written as null, which JSON allows)."""
        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}
        self._file.write(json.dumps(clean) + "\n")
        self._file.flush()  # a killed run keeps every step it reported
        if self._bar is None:
            self._log_line(record)
        else:
            shown = {k: f"{record[k]:.3f}" for k in ("loss", "eval_loss") if record.get(k) is not None}
            if record.get("mfu") is not None:
                shown["mfu"] = f"{record['mfu']:.1%}"
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(1)

    def _log_line(self, record: dict[str, Any]) -> None:
        now, step = time.monotonic(), record["step"]
        if now - self._last_line < self._every and step not in (self._first + 1, self._total):
            return
        self._last_line = now
        done = step - self._first
        eta = (now - self._started) / done * (self._total - step)
        parts = [f"step {step}/{self._total}", f"loss {record['loss']:.4f}"]
        if record.get("eval_loss") is not None:
            parts.append(f"eval loss {record['eval_loss']:.4f}")
        parts += [f"{record['tokens_per_s']:,.0f} tokens/s", f"ETA {format_duration(eta)}"]
        print("  ".join(parts), file=self._stream, flush=True)

    def close(self) -> None:
        """Flush and close the file and the bar."""
        self._file.close()
        if self._bar is not None:
            self._bar.close()


def format_duration(seconds: float) -> str:
    """``1h02m``, ``3m05s`` or ``42s``."""
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
