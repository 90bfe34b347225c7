"""A :class:`~cfgdiff.compare.Comparison` as a table: a column per config, a row per field.

Four writers: text for a terminal (long values cut to :data:`CELL_WIDTH`), markdown for a
pull request (every cell a code span, so pipes and backticks in paths or values cannot
break the table), csv through the standard library's writer, and json. Run directories add
their outcomes (final loss, tokens/s, ...) as rows above the fields.

With a baseline, the first column is the baseline and the others show a value only where
it differs from the baseline's; an empty cell means "same as the baseline". JSON always
holds every value. A field a config lacks is ``(absent)``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from pygments.token import Token

from cfgdiff.canonical import Raw, format_value
from cfgdiff.compare import ABSENT, Comparison, Row, short_labels
from cfgdiff.render.json import JSON_VERSION, json_value
from cfgdiff.render.layout import CHANGED, HEADING, NOTE, TALLY, Tokens, finish
from cfgdiff.render.markdown import GITHUB_COMMENT_LIMIT, md_code, md_text
from cfgdiff.runs import FIGURES, Outcome, format_figure

#: Text cells longer than this are cut (with ``...``); markdown, csv and json keep them whole.
CELL_WIDTH = 40
ABSENT_TEXT = "(absent)"
_GAP = "  "


def cell_text(c: Comparison, row: Row, column: int) -> str:
    """What a table cell says: the value as canonical text spells it, ``(absent)``, or
    nothing where a baseline comparison has the baseline's value."""
    if c.baseline and column > 0 and c.same_as_baseline(row, column):
        return ""
    value = row.values[column]
    if value is ABSENT:
        return ABSENT_TEXT
    if value == Raw(""):
        return "(empty)"  # AXLearn's ``path:``; an empty cell means "same as the baseline"
    return format_value(value)


def outcome_rows(outcomes: Sequence[Outcome | None]) -> list[tuple[str, list[str]]]:
    """``(figure, [cell per column])`` for each figure; an empty cell for a column that is not a run."""
    return [
        (label, [format_figure(attribute, getattr(o, attribute)) if o else "" for o in outcomes]) for attribute, label in FIGURES
    ]


def run_labels(outcomes: Sequence[Outcome]) -> list[str]:
    """Short labels for runs: their directories' names (see :func:`compare.short_labels`)."""
    return short_labels([o.run_dir for o in outcomes])


def outcome_notes(labels: Sequence[str], outcomes: Sequence[Outcome | None]) -> list[str]:
    """One line per run whose files are missing or partial: ``LABEL: what``."""
    return [f"{label}: {'; '.join(o.notes)}" for label, o in zip(labels, outcomes) if o and o.notes]


def _notes(c: Comparison) -> list[str]:
    return outcome_notes([col.label for col in c.columns], [col.outcome for col in c.columns])


def _has_outcomes(c: Comparison) -> bool:
    return any(col.outcome for col in c.columns)


def _header(c: Comparison) -> list[str]:
    return [f"{col.label} (baseline)" if c.baseline and i == 0 else col.label for i, col in enumerate(c.columns)]


# -- text -------------------------------------------------------------------------------


def render_table_text(c: Comparison, *, color: bool = False) -> str:
    """The comparison for a terminal: outcomes (for run directories), the fields, the tally.

    >>> from cfgdiff.compare import compare
    >>> print(render_table_text(compare(["lr: 0.1\\n", "lr: 0.2\\n"], ["a", "b"])), end="")
    path  a    b
    lr    0.1  0.2
    1 field differs among 2 configs (0 unchanged)
    """
    header = _header(c)
    figures = outcome_rows([col.outcome for col in c.columns]) if _has_outcomes(c) else []
    fields = [(row.path, [_cut(cell_text(c, row, i)) for i in range(len(c.columns))]) for row in c.rows]
    first = max([len("outcome") if figures else 0, len("path"), *(len(name) for name, _ in (*figures, *fields))])
    widths = [max([len(h), *(len(cells[i]) for _, cells in (*figures, *fields))]) for i, h in enumerate(header)]
    out: Tokens = []

    def line(name: str, cells: list[str], token: Any = Token.Text, is_field: bool = False) -> None:
        last = max((i for i, text in enumerate(cells) if text), default=-1)  # no trailing blanks
        out.append((token, name.ljust(first) if last >= 0 else name))
        for i, (text, width) in enumerate(zip(cells[: last + 1], widths)):
            out.append((Token.Text, _GAP))
            out.append((_cell_token(c, i, text) if is_field else token, text.ljust(width) if i < last else text))
        out.append((Token.Text, "\n"))

    if figures:
        line("outcome", header, HEADING)
        for name, cells in figures:
            line(name, cells)
        for note in _notes(c):
            out.append((NOTE, f"note: {note}\n"))
        out.append((Token.Text, "\n"))
    if c.rows:
        line("path", header, HEADING)
    for name, cells in fields:
        line(name, cells, is_field=True)
    out.append((TALLY, c.summary() + "\n"))
    return finish(out, color)


def outcomes_text(labels: Sequence[str], outcomes: Sequence[Outcome], out: Tokens) -> None:
    """Two runs' outcomes as a block heading a diff: ``final loss  2.5335 -> 2.4012``, one
    value where both runs agree, then a note per run whose files are missing or partial."""
    rows = outcome_rows(outcomes)
    width = max(len(name) for name, _ in rows)
    out.append((HEADING, f"# outcomes ({labels[0]} -> {labels[1]})\n"))
    for name, (old, new) in rows:
        same = old == new
        out.append((Token.Text if same else CHANGED, f"  {name.ljust(width)}  {old if same else f'{old} -> {new}'}\n"))
    for note in outcome_notes(labels, outcomes):
        out.append((NOTE, f"  note: {note}\n"))


def _cell_token(c: Comparison, column: int, text: str) -> Any:
    if text == ABSENT_TEXT:
        return NOTE
    if c.baseline and column > 0 and text:
        return CHANGED
    return Token.Text


def _cut(text: str) -> str:
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 3] + "..."


# -- markdown ---------------------------------------------------------------------------


def render_table_markdown(c: Comparison, *, title: str | None = None, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The comparison as a GitHub comment: the tally, an outcomes table for run directories,
    and a table of the differing fields; rows that would pass ``limit`` characters are
    left out and counted in a closing note."""
    parts = [f"### {md_text(title)}\n\n"] if title else []
    parts.append(f"**{c.summary()}**\n")
    header = [md_code(h, table=True) for h in _header(c)]
    if _has_outcomes(c):
        parts.append("\n" + outcomes_markdown([col.label for col in c.columns], [col.outcome for col in c.columns]))
    if c.rows:
        parts.append("\n" + _md_row(["path", *header]) + _md_rule(len(header) + 1))
    text = "".join(parts)
    reserve = 200  # room for the closing note
    for shown, row in enumerate(c.rows):
        cells = (cell_text(c, row, i) for i in range(len(c.columns)))
        line = _md_row([md_code(row.path, table=True), *(md_code(cell, table=True) if cell else "" for cell in cells)])
        if len(text) + len(line) + reserve > limit:
            left = len(c.rows) - shown
            return text + (
                f"\n_Cut to fit GitHub's {limit:,}-character limit: {left:,} more row{'s' * (left != 1)} not shown."
                " Run `cfgdiff compare` locally for the whole table._\n"
            )
        text += line
    return text


def outcomes_markdown(labels: Sequence[str], outcomes: Sequence[Outcome | None]) -> str:
    """The runs' outcomes as a markdown table (a column per run), then a bullet per note."""
    text = _md_row(["outcome", *(md_code(label, table=True) for label in labels)]) + _md_rule(len(labels) + 1)
    for name, cells in outcome_rows(outcomes):
        text += _md_row([name, *(md_code(cell, table=True) if cell else "" for cell in cells)])
    notes = outcome_notes(labels, outcomes)
    return text + "".join(f"\n- {md_code(note)}" for note in notes) + ("\n" if notes else "")


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |\n"


def _md_rule(n: int) -> str:
    return "|" + "---|" * n + "\n"


# -- csv --------------------------------------------------------------------------------


def render_table_csv(c: Comparison) -> str:
    """The comparison as CSV: a ``path`` column and one per config; run outcomes first, as
    rows named ``outcome:final_loss`` (whole numbers and hashes; empty where unknown).
    Cells are as in the text table, never cut."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", *_header(c)])
    if _has_outcomes(c):
        for attribute, _ in FIGURES:
            writer.writerow([f"outcome:{attribute}", *(_csv_figure(col.outcome, attribute) for col in c.columns)])
    for row in c.rows:
        writer.writerow([row.path, *(cell_text(c, row, i) for i in range(len(c.columns)))])
    return buffer.getvalue()


def _csv_figure(outcome: Outcome | None, attribute: str) -> str:
    value = getattr(outcome, attribute) if outcome else None
    return "" if value is None else str(value)


# -- json -------------------------------------------------------------------------------


def render_table_json(c: Comparison) -> str:
    """The comparison as JSON (schema: :func:`table_to_json`), indented."""
    return json.dumps(table_to_json(c), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def table_to_json(c: Comparison) -> dict[str, Any]:
    """The comparison as JSON-ready data::

        {"version": 1,
         "columns": [{"label", "source", "baseline"}],
         "rows": [{"path", "values": {LABEL: VALUE}}],
         "outcomes": {LABEL: {"final_loss", "eval_loss", "steps", "tokens_per_s", "mfu",
                              "corpus_sha256", "jax_version", "notes"}},
         "summary": {"configs", "differ", "unchanged"}}

    Every value is given, baseline or not; values are tagged as in the diff's JSON
    (:func:`~cfgdiff.render.json.json_value`), and a field a config lacks is
    ``{"$type": "absent"}``. ``outcomes`` holds the run directories only.
    """
    labels = [col.label for col in c.columns]
    return {
        "version": JSON_VERSION,
        "columns": [{"label": col.label, "source": col.source, "baseline": c.baseline and i == 0} for i, col in enumerate(c.columns)],
        "rows": [
            {"path": row.path, "values": {label: _json_cell(v) for label, v in zip(labels, row.values)}} for row in c.rows
        ],
        "outcomes": {col.label: col.outcome.to_json() for col in c.columns if col.outcome},
        "summary": {"configs": len(c.columns), "differ": len(c.rows), "unchanged": c.unchanged},
    }


def _json_cell(value: Any) -> Any:
    return {"$type": "absent"} if value is ABSENT else json_value(value)
