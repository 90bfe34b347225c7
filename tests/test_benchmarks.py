"""The benchmark scripts still import: they are run by hand, so nothing else would notice."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).parent.parent / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_a_benchmark_script_imports(script, monkeypatch):
    monkeypatch.syspath_prepend(str(script.parent))  # as when run: scripts import their siblings
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the measuring is under ``if __name__ == "__main__"``
    assert callable(module.main)


def test_bench_diff_times_one_diff_in_a_fresh_interpreter(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS[0].parent))
    import bench_diff

    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("".join(f"layers[{i}].dim: {i}\n" for i in range(1000)))
    new.write_text("".join(f"layers[{i}].dim: {i + (i == 7)}\n" for i in range(1000)))
    seconds, faults = bench_diff.fresh_diff(old, new, repeat=1)
    assert 0 < seconds < 5 and faults >= 0
