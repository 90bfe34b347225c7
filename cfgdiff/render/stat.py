"""Counts per top-level subtree with a bar of ``~ + - >``, like ``git diff --stat``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pygments.token import Token

from cfgdiff.diff import Diff
from cfgdiff.render.layout import BARS, TALLY, Tokens, changes_tally, count, finish, impact_block, impacts, sections, tally

if TYPE_CHECKING:  # a plain diff does not import cfgdiff.changes
    from cfgdiff.changes import ChangeSet


def render_stat(d: Diff, *, color: bool = False, width: int = 40) -> str:
    """Counts per top-level subtree with a bar of ``~ + - >``, then the tally."""
    rows = [(name, count(entries)) for name, entries in sections(d)]
    out: Tokens = []
    impact_block(d.impact, out)
    out += _rows(rows, width)
    out.append((TALLY, f" {len(rows)} subtree{'s' * (len(rows) != 1)}: {tally(d)}\n" if rows else tally(d) + "\n"))
    return finish(out, color)


def render_changes_stat(changes: ChangeSet, *, color: bool = False, width: int = 40) -> str:
    """Counts per recipe (the shared changes as one row each), then problems and the tally."""
    rows = [(f"shared by {len(s.recipes)}", count(s.diff.entries())) for s in changes.shared]
    rows += [(r.name, count(r.shown.entries())) for r in changes.changed if not r.only_shared]
    out: Tokens = []
    for title, found in impacts(changes):
        impact_block(found, out, title)
    out += _rows(rows, width)
    out.extend((Token.Text, f" {p.severity}: {p.message}\n") for p in changes.problems)
    if changes.tally:
        out.append((TALLY, f" {changes_tally(changes)}\n"))
    return finish(out, color)


def _rows(rows: list[tuple[str, dict[str, int]]], width: int) -> Tokens:
    out: Tokens = []
    if not rows:
        return out
    name_width = max(len(name) for name, _ in rows)
    totals = [sum(c.values()) for _, c in rows]
    number_width = len(str(max(totals)))
    scale = min(1.0, width / max(max(totals), 1))
    for (name, counts), total in zip(rows, totals):
        out.append((Token.Text, f" {name.ljust(name_width)} | {str(total).rjust(number_width)} "))
        for key, mark, token in BARS:
            if counts[key]:
                out.append((token, mark * max(1, math.floor(counts[key] * scale))))
        out.append((Token.Text, "\n"))
    return out
