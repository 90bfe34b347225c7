"""What every writer shares: the colours, the sections a diff is shown in, and its tallies.

A diff is shown one section per top-level subtree (``model``, ``optimizer``, ...), each
headed by its counts, and closed by the tally line. Colours are pygments tokens, so only
colouring imports pygments' formatter and plain output stays fast to start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pygments.token import Token, _TokenType

from cfgdiff.canonical import format_value
from cfgdiff.diff import Added, Changed, Diff, Entry, Group, Moved, Node, Removed
from cfgdiff.labels import diff_label_counts, tally_text
from cfgdiff.lines import top_level

if TYPE_CHECKING:
    from cfgdiff.changes import ChangeSet

HEADING = Token.Generic.Heading
CHANGED = Token.Generic.Changed
ADDED = Token.Generic.Inserted
REMOVED = Token.Generic.Deleted
MOVED = Token.Generic.Moved
NOTE = Token.Comment
TALLY = Token.Generic.Strong
LABEL = Token.Name.Label
IMPACT = Token.Generic.Emph

STYLE = {
    Token: ("", ""),
    HEADING: ("**", "**"),
    CHANGED: ("yellow", "yellow"),
    ADDED: ("green", "brightgreen"),
    REMOVED: ("red", "brightred"),
    MOVED: ("cyan", "brightcyan"),
    NOTE: ("gray", "brightblack"),
    TALLY: ("**", "**"),
    LABEL: ("magenta", "brightmagenta"),
    IMPACT: ("**", "**"),
    Token.Name.Attribute: ("cyan", "brightcyan"),
    Token.Literal.String: ("yellow", "yellow"),
    Token.Literal.Number: ("blue", "brightblue"),
    Token.Keyword.Constant: ("magenta", "brightmagenta"),
    Token.Name.Class: ("green", "brightgreen"),
}

MARK = {Changed: ("~", CHANGED), Added: ("+", ADDED), Removed: ("-", REMOVED)}

Tokens = list[tuple[_TokenType, str]]
Labels = Mapping[str, tuple[str, ...]]  # path -> labels, as in Diff.labels


def finish(tokens: Tokens, color: bool) -> str:
    if not color:
        return "".join(text for _, text in tokens)
    from pygments import format as pygments_format
    from pygments.formatters.terminal import TerminalFormatter

    return pygments_format(tokens, TerminalFormatter(colorscheme=STYLE))


def value_text(value: Any) -> str:
    """A value as canonical text spells it; a node as ``{3 fields}`` (with its target)."""
    if isinstance(value, Node):
        fields = f"{value.fields} field{'s' * (value.fields != 1)}"
        return f"{format_value(value.target)} {{{fields}}}" if value.target is not None else f"{{{fields}}}"
    return format_value(value)


def moved_text(m: Moved) -> str:
    """What a move moved and whether it changed: ``optax.adamw, 9 fields, unchanged``."""
    what = f"{m.size} field{'s' * (m.size != 1)}"
    changed = f"; {tally_short(m.diff.counts())}" if m.diff else ", unchanged"
    return f"{format_value(m.target)}, {what}{changed}" if m.target is not None else f"{what}{changed}"


def origin_text(f: Changed | Added | Removed) -> str:
    """Where a field's value was set: ``default, cfgdiff/train/model.py:41`` (and ``; was ...``
    with the old value's origin when that differs); '' when unknown."""
    origin = getattr(f, "origin", None)
    if origin is None:
        return ""
    old = getattr(f, "old_origin", None)
    return f"{origin}; was {old}" if old is not None and str(old) != str(origin) else str(origin)


def impact_block(found: list[Any], out: Tokens, title: str = "Impact") -> None:
    """``Impact:`` and one aligned line per figure that moved (:mod:`cfgdiff.impact`)."""
    if not found:
        return
    from cfgdiff.impact import table

    out.append((HEADING, f"{title}:\n"))
    out.extend((IMPACT, f"  {line}\n") for line in table(found))


def tally(d: Diff) -> str:
    if not d:
        return f"no differences ({d.unchanged:,} field{'s' * (d.unchanged != 1)})"
    return d.summary() + labels_tally([d])


def changes_tally(changes: ChangeSet) -> str:
    """A change set's closing line, with the labels of its changes, each counted once
    (the shared diffs, then what each recipe has of its own)."""
    return changes.tally + labels_tally([s.diff for s in changes.shared] + [r.shown for r in changes.recipes if r.diff])


def impacts(changes: ChangeSet) -> list[tuple[str, list[Any]]]:
    """``("Impact on NAME", figure changes)`` for each recipe whose diff shows moved figures."""
    return [(f"Impact on {r.name}", r.diff.impact) for r in changes.recipes if r.diff and r.diff.impact and changes.details]


def labels_tally(diffs: list[Diff]) -> str:
    """``; labelled: 2 breaks-checkpoint, 1 changes-data`` over annotated diffs, '' when none."""
    counts: dict[str, int] = {}
    for d in diffs:
        for label, n in diff_label_counts(d).items():
            counts[label] = counts.get(label, 0) + n
    return f"; labelled: {tally_text(dict(sorted(counts.items(), key=lambda item: -item[1])))}" if counts else ""


def sections(d: Diff) -> list[tuple[str, list[Entry]]]:
    sections: dict[str, list[Entry]] = {}
    for entry in d.entries():
        path = entry.new_path if isinstance(entry, Moved) else entry.path
        sections.setdefault(top_level(path) or "(root)", []).append(entry)
    return list(sections.items())


def count(entries: list[Entry]) -> dict[str, int]:
    counts = {"changed": 0, "added": 0, "removed": 0, "moved": 0}
    for entry in entries:
        if isinstance(entry, Moved):
            counts["moved"] += 1
            for key, n in entry.diff.counts().items():
                if key != "unchanged":
                    counts[key] += n
        else:
            for f in entry.fields if isinstance(entry, Group) else (entry,):
                counts[KIND[type(f)]] += 1
    return counts


KIND = {Changed: "changed", Added: "added", Removed: "removed"}


def tally_short(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {key}" for key, n in counts.items() if n and key != "unchanged") or "no differences"


BARS = (("changed", "~", CHANGED), ("added", "+", ADDED), ("removed", "-", REMOVED), ("moved", ">", MOVED))
