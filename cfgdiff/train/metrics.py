"""Training metrics: one JSON object per step in ``metrics.jsonl``, a progress bar, MFU."""

from __future__ import annotations

import json
import math
import sys
from typing import Any, TextIO

#: Dense bf16 peak FLOP/s per device, by the start of ``jax.Device.device_kind``.
#: MFU is reported against these whatever the compute dtype (PaLM's convention).
PEAK_FLOPS: dict[str, float] = {
    "NVIDIA H100": 989e12,
    "NVIDIA H200": 989e12,
    "NVIDIA GH200": 989e12,
    "NVIDIA A100": 312e12,
    "NVIDIA B200": 2250e12,
    "NVIDIA L4": 121e12,
    "TPU v4": 275e12,
    "TPU v5 lite": 197e12,
    "TPU v5e": 197e12,
    "TPU v5p": 459e12,
    "TPU v6 lite": 918e12,
}


def peak_flops(device_kind: str) -> float | None:
    """The device's peak FLOP/s from :data:`PEAK_FLOPS`, or None (CPUs: MFU is not reported)."""
    for prefix, flops in PEAK_FLOPS.items():
        if device_kind.startswith(prefix):
            return flops
    return None


class MetricsLog:
    """Appends metrics to a JSONL file and shows a progress bar on a terminal."""

    def __init__(self, path: str, total_steps: int, first_step: int, stream: TextIO | None = None) -> None:
        self._file = open(path, "a", encoding="utf-8")
        stream = sys.stderr if stream is None else stream
        self._bar = None
        if hasattr(stream, "isatty") and stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total_steps, initial=first_step, file=stream, unit="step", dynamic_ncols=True)

    def write(self, record: dict[str, Any]) -> None:
        """Log one step's metrics (non-finite floats are written as null, which JSON allows)."""
        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}
        self._file.write(json.dumps(clean) + "\n")
        if self._bar is not None:
            shown = {k: f"{record[k]:.3f}" for k in ("loss", "eval_loss") if record.get(k) is not None}
            if record.get("mfu") is not None:
                shown["mfu"] = f"{record['mfu']:.1%}"
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        """Flush and close the file and the bar."""
        self._file.close()
        if self._bar is not None:
            self._bar.close()


def read_metrics(path: str) -> list[dict[str, Any]]:
    """The records of a ``metrics.jsonl`` file, in order."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
