"""Impact figures on a 45,000-field config: a lazy view over sorted lines against parsing every field.

``cfgdiff A B`` computes figures on both whole configs, as sorted canonical lines the diff
already holds; an impact looks up the ~40 fields it needs through
:class:`cfgdiff.impact.LinesView` (one bisect and one parsed value each). The baseline,
measured in the same run, is what a figure function would cost over a parsed config:
``canonical.loads`` of the whole text, then the same figures.

    python benchmarks/bench_impact.py [--layers 1000] [--repeat 7]

Target: figures on the lazy view in well under a millisecond (20 lookups cost
microseconds), far below parsing the file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench_canonical import best_of

from cfgdiff import canonical, impact
from cfgdiff.lines import Lines

GOLDEN = Path(__file__).resolve().parents[1] / "golden_configs" / "llama_7b.txt"


def text_of(layers: int) -> str:
    """llama_7b's golden file plus ``layers`` x 45 fields under ``model.extra``, like a 7B AXLearn golden."""
    filler = "".join(f"model.extra.layers[{i}].field{j}: {i * j}\n" for i in range(layers) for j in range(45))
    return GOLDEN.read_text() + filler


class Counting(impact.LinesView):
    """The lazy view, counting lookups."""

    lookups = 0

    def __getitem__(self, path: str) -> Any:
        Counting.lookups += 1
        return super().__getitem__(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    text = text_of(args.layers)
    lines = Lines.from_text(text, "bench")
    fields = len(lines.lines)
    view, figures = best_of(args.repeat, lambda: impact.figures(impact.LinesView(lines)))
    parsed, figures_parsed = best_of(max(1, args.repeat // 2), lambda: impact.figures(canonical.loads(text)))
    impact.figures(Counting(lines))
    assert figures == figures_parsed

    print(f"fields: {fields:,}; figures: {len(figures)}; lookups: {Counting.lookups}")
    print(f"figures on the lazy view:        {view * 1e6:9.0f} us  ({view * 1e6 / Counting.lookups:.1f} us a lookup)")
    print(f"baseline, loads then figures:    {parsed * 1e6:9.0f} us")
    print(f"ratio (baseline / lazy view):    {parsed / view:9.0f}x")


if __name__ == "__main__":
    main()
