"""The diff for a terminal: ``~ path: old -> new``, ``+``/``-`` fields, ``>`` moves, a tally.

Also :func:`highlight_canonical`, the colours of ``cfgdiff show``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pygments.token import Token, _TokenType

from cfgdiff.canonical import Raw, Symbol, format_value, parse_value
from cfgdiff.diff import TARGET_KEYS, Added, Changed, Diff, Entry, Group, Moved, Node, Removed, element_diff
from cfgdiff.lines import last_segment, parent
from cfgdiff.render.layout import ADDED, CHANGED, HEADING, LABEL, MARK, MOVED, NOTE, REMOVED, TALLY, Labels, Tokens
from cfgdiff.render.layout import changes_tally, count, finish, impact_block, impacts, moved_text, origin_text, sections, tally, tally_short, value_text

if TYPE_CHECKING:  # change sets and outcomes: a plain diff imports neither cfgdiff.changes nor cfgdiff.runs
    from cfgdiff.changes import ChangeSet
    from cfgdiff.runs import Outcome

#: Width of a ``~ path: old -> new`` line before the values go on lines of their own.
LINE_WIDTH = 110


def render_text(d: Diff, *, color: bool = False, outcomes: Sequence[Outcome] | None = None) -> str:
    """The diff for a terminal, one section per top-level subtree, then the tally.

    ``outcomes`` (of two run directories, old and new) come after the impact block.

    >>> from cfgdiff.diff import diff
    >>> print(render_text(diff("a.b: 1\\n", "a.b: '1'\\n")), end="")
    # a (1 changed)
      ~ a.b: 1 -> '1'  (int -> str)
    1 changed, 0 added, 0 removed (0 unchanged)
    """
    out: Tokens = []
    impact_block(d.impact, out)
    if outcomes:
        from cfgdiff.render.table import outcomes_text, run_labels

        outcomes_text(run_labels(outcomes), outcomes, out)
    _body(d, out, "")
    out.append((TALLY, tally(d) + "\n"))
    return finish(out, color)


def render_changes(changes: ChangeSet, *, color: bool = False, closing: bool = True) -> str:
    """A change set for a terminal (``golden check``, ``golden update``, ``review``, the plugin).

    The changes shared by several recipes come first, each said once with its recipes; then
    each recipe's own changes, the problems with the command that fixes each, and (with
    ``closing``) the tally and the command that accepts everything.
    """
    from cfgdiff.changes import name_list

    out: Tokens = []
    if changes.title:
        out.append((TALLY, changes.title + "\n"))
    blocks = len(out)
    for title, found in impacts(changes):
        impact_block(found, out, title)
    if len(out) > blocks:
        out.append((Token.Text, "\n"))
    for shared in changes.shared:
        what = tally_short(shared.diff.counts())
        out.append((HEADING, f"Shared by {len(shared.recipes)} recipes ({name_list(shared.recipes)}): {what}\n"))
        _body(shared.diff, out, "  ")
        out.append((Token.Text, "\n"))
    for recipe in changes.recipes:
        if recipe.only_shared:
            continue
        if not recipe.diff:
            out.append((Token.Text, recipe.note + "\n"))
            continue
        own = recipe.shown
        besides = "; besides the shared changes above" if own is not recipe.diff else ""
        remark = f" ({recipe.remark})" if recipe.remark else ""
        out.append((Token.Text, f"{recipe.note}{remark}: {own.summary()}{besides}\n"))
        if changes.details:
            _body(own, out, "  ")
            if recipe.fix:
                out.append((NOTE, f"  to accept: {recipe.fix}\n"))
    only = [r.name for r in changes.recipes if r.only_shared]
    if only:
        out.append((Token.Text, f"{len(only)} recipes {changes.verb} only by the shared changes above: {name_list(only)}\n"))
    for problem in changes.problems:
        token = REMOVED if problem.severity == "error" else CHANGED
        out.append((token, f"{problem.severity}: {problem.message}\n"))
        if problem.fix:
            out.append((NOTE, f"  fix: {problem.fix}\n"))
    if closing and changes.tally:
        out.append((TALLY, changes_tally(changes) + "\n"))
    if closing and changes.fix:
        out.append((Token.Text, f"To accept these configs: {changes.fix}\n"))
    return finish(out, color)


def _body(d: Diff, out: Tokens, indent: str) -> None:
    """The diff's entries, one section per top-level subtree, without the tally."""
    for name, entries in sections(d):
        out.append((HEADING, f"{indent}# {name} ({tally_short(count(entries))})\n"))
        for entry in entries:
            _entry_text(entry, out, indent + "  ", None, d.labels)



def _rel(path: str, relative_to: str | None) -> str:
    return path if relative_to is None else path[len(relative_to) :] or "(itself)"


def _entry_text(entry: Entry, out: Tokens, indent: str, relative_to: str | None, labels: Labels) -> None:
    if isinstance(entry, Moved):
        _moved_text(entry, out, indent, relative_to, labels)
    elif isinstance(entry, Group):
        _group_text(entry, out, indent, relative_to, labels)
    else:
        _field_text(entry, out, indent, relative_to, labels)


def _labels(found: tuple[str, ...] | None, out: Tokens) -> None:
    if found:
        out.append((LABEL, f"  [{', '.join(found)}]"))


def _field_text(f: Changed | Added | Removed, out: Tokens, indent: str, relative_to: str | None, labels: Labels) -> None:
    mark, token = MARK[type(f)]
    path = _rel(f.path, relative_to)
    if not isinstance(f, Changed):
        out.append((token, f"{indent}{mark} {path}: {format_value(f.value)}"))
        origin = origin_text(f)
        if origin:
            out.append((NOTE, f"  ({origin})"))
        _labels(labels.get(f.path), out)
        out.append((Token.Text, "\n"))
        return
    old, new = format_value(f.old), format_value(f.new)
    note = "; ".join(filter(None, (f.type_note or ("same text, different type" if old == new else ""), origin_text(f))))
    if len(indent) + len(path) + len(old) + len(new) + 8 <= LINE_WIDTH:
        out.append((token, f"{indent}{mark} {path}: {old} -> {new}"))
    else:
        out.append((token, f"{indent}{mark} {path}:\n"))
        out.append((REMOVED, f"{indent}    - {old}\n"))
        out.append((ADDED, f"{indent}    + {new}"))
    if note:
        out.append((NOTE, f"  ({note})"))
    _labels(labels.get(f.path), out)
    out.append((Token.Text, "\n"))
    detail = element_diff(f.old, f.new)
    if detail:
        for inner in detail.entries():
            _entry_text(inner, out, indent + "    ", None, {})


def _group_text(g: Group, out: Tokens, indent: str, relative_to: str | None, labels: Labels) -> None:
    path = _rel(g.path, relative_to) if g.path else "(root)"
    if g.kind in ("added", "removed"):
        mark, token = ("+", ADDED) if g.kind == "added" else ("-", REMOVED)
        node = g.new if g.kind == "added" else g.old
        target = f": {format_value(node.target)}" if isinstance(node, Node) and node.target is not None else ""
        out.append((token, f"{indent}{mark} {path}{target}"))
        out.append((NOTE, f"  ({len(g.fields)} fields)"))
        shown = g.fields
    else:
        # The target line is the headline; so is the leaf of a replaced node.
        shown = tuple(f for f in g.fields if f.path != g.path and not (g.kind == "target" and _is_target_line(f.path, g.path)))
        what = "target changed" if g.kind == "target" else "replaced"
        out.append((CHANGED, f"{indent}~ {path}: {value_text(g.old)} -> {value_text(g.new)}"))
        out.append((NOTE, f"  ({what}; {tally_short(count(list(shown)))})"))
    # The headline carries the labels of the lines it stands for (the target line, the leaf).
    listed = {id(f) for f in shown}
    _labels(tuple(dict.fromkeys(label for f in g.fields if id(f) not in listed for label in labels.get(f.path, ()))), out)
    out.append((Token.Text, "\n"))
    for f in shown:
        _field_text(f, out, indent + "    ", g.path, labels)


def _is_target_line(path: str, node: str) -> bool:
    return parent(path) == node and last_segment(path) in TARGET_KEYS


def _moved_text(m: Moved, out: Tokens, indent: str, relative_to: str | None, labels: Labels) -> None:
    inner = m.diff
    what = moved_text(m)
    out.append((MOVED, f"{indent}> {_rel(m.old_path, relative_to)} -> {_rel(m.new_path, relative_to)}"))
    out.append((NOTE, f"  ({what})"))
    _labels(tuple(dict.fromkeys((*labels.get(m.old_path, ()), *labels.get(m.new_path, ())))), out)
    out.append((Token.Text, "\n"))
    for entry in inner.entries():
        _entry_text(entry, out, indent + "    ", None, inner.labels)


def highlight_canonical(text: str, *, color: bool) -> str:
    """Canonical text, coloured for a terminal when ``color`` (paths, strings, numbers, names)."""
    if not color:
        return text
    return finish(list(_canonical_tokens(text)), color=True)


def _canonical_tokens(text: str) -> Iterator[tuple[_TokenType, str]]:
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        path, sep, raw = body.partition(": ")
        if not body or body.startswith("#") or not sep:
            yield (NOTE, line)
            continue
        yield (Token.Name.Attribute, path)
        yield (Token.Punctuation, sep)
        yield (_value_token(parse_value(raw) if raw else Raw("")), raw)
        yield (Token.Text, line[len(body) :])


def _value_token(value: Any) -> _TokenType:
    if isinstance(value, (str, bytes)):
        return Token.Literal.String
    if value is None or isinstance(value, bool):
        return Token.Keyword.Constant
    if isinstance(value, (int, float)):
        return Token.Literal.Number
    if isinstance(value, Symbol):
        return Token.Name.Class
    return Token.Text
