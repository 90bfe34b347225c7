"""Show a :class:`~cfgdiff.diff.Diff`: for a terminal, a pull request, or a program.

* :func:`render_text`: grouped by top-level subtree, ``~ path: old -> new``,
  ``+ path: value``, ``- path: value``, ``> old.path -> new.path`` for moves, and a
  closing tally line; coloured through pygments when asked.
* :func:`render_stat`: one line per top-level subtree with its counts, like ``git diff --stat``.
* :func:`render_markdown`: a GitHub comment: tally, a ```diff block per subtree, long
  ones folded in ``<details>``, never over GitHub's 65,536-character limit.
* :func:`render_json`: a stable schema (see :func:`to_json`).

Only colouring imports pygments' formatter, so plain output stays fast to start.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from pygments.token import Token, _TokenType

from cfgdiff.canonical import Raw, Symbol, format_value, parse_value
from cfgdiff.diff import TARGET_KEYS, Added, Changed, Diff, Entry, Group, Moved, Node, Removed, element_diff
from cfgdiff.lines import last_segment, parent, top_level

#: GitHub's limit on the body of a comment.
GITHUB_COMMENT_LIMIT = 65_536
#: Lines a markdown section shows before it is folded into ``<details>``.
FOLD_AFTER = 20
#: Width of a ``~ path: old -> new`` line before the values go on lines of their own.
LINE_WIDTH = 110
#: The JSON schema version; bumped only for incompatible changes.
JSON_VERSION = 1

_HEADING = Token.Generic.Heading
_CHANGED = Token.Generic.Changed
_ADDED = Token.Generic.Inserted
_REMOVED = Token.Generic.Deleted
_MOVED = Token.Generic.Moved
_NOTE = Token.Comment
_TALLY = Token.Generic.Strong

_STYLE = {
    Token: ("", ""),
    _HEADING: ("**", "**"),
    _CHANGED: ("yellow", "yellow"),
    _ADDED: ("green", "brightgreen"),
    _REMOVED: ("red", "brightred"),
    _MOVED: ("cyan", "brightcyan"),
    _NOTE: ("gray", "brightblack"),
    _TALLY: ("**", "**"),
    Token.Name.Attribute: ("cyan", "brightcyan"),
    Token.Literal.String: ("yellow", "yellow"),
    Token.Literal.Number: ("blue", "brightblue"),
    Token.Keyword.Constant: ("magenta", "brightmagenta"),
    Token.Name.Class: ("green", "brightgreen"),
}

_MARK = {Changed: ("~", _CHANGED), Added: ("+", _ADDED), Removed: ("-", _REMOVED)}

Tokens = list[tuple[_TokenType, str]]


def _finish(tokens: Tokens, color: bool) -> str:
    if not color:
        return "".join(text for _, text in tokens)
    from pygments import format as pygments_format
    from pygments.formatters.terminal import TerminalFormatter

    return pygments_format(tokens, TerminalFormatter(colorscheme=_STYLE))


def value_text(value: Any) -> str:
    """A value as canonical text spells it; a node as ``{3 fields}`` (with its target)."""
    if isinstance(value, Node):
        fields = f"{value.fields} field{'s' * (value.fields != 1)}"
        return f"{format_value(value.target)} {{{fields}}}" if value.target is not None else f"{{{fields}}}"
    return format_value(value)


# -- text ------------------------------------------------------------------------------


def render_text(d: Diff, *, color: bool = False) -> str:
    """The diff for a terminal, one section per top-level subtree, then the tally.

    >>> from cfgdiff.diff import diff
    >>> print(render_text(diff("a.b: 1\\n", "a.b: '1'\\n")), end="")
    # a (1 changed)
      ~ a.b: 1 -> '1'  (int -> str)
    1 changed, 0 added, 0 removed (0 unchanged)
    """
    out: Tokens = []
    for name, entries in _sections(d):
        out.append((_HEADING, f"# {name} ({_tally_short(_count(entries))})\n"))
        for entry in entries:
            _entry_text(entry, out, "  ", relative_to=None)
    out.append((_TALLY, _tally(d) + "\n"))
    return _finish(out, color)


def _tally(d: Diff) -> str:
    if not d:
        return f"no differences ({d.unchanged:,} field{'s' * (d.unchanged != 1)})"
    return d.summary()


def _sections(d: Diff) -> list[tuple[str, list[Entry]]]:
    sections: dict[str, list[Entry]] = {}
    for entry in d.entries():
        path = entry.new_path if isinstance(entry, Moved) else entry.path
        sections.setdefault(top_level(path) or "(root)", []).append(entry)
    return list(sections.items())


def _count(entries: list[Entry]) -> dict[str, int]:
    counts = {"changed": 0, "added": 0, "removed": 0, "moved": 0}
    for entry in entries:
        if isinstance(entry, Moved):
            counts["moved"] += 1
            for key, n in entry.diff.counts().items():
                if key != "unchanged":
                    counts[key] += n
        else:
            for f in entry.fields if isinstance(entry, Group) else (entry,):
                counts[_KIND[type(f)]] += 1
    return counts


_KIND = {Changed: "changed", Added: "added", Removed: "removed"}


def _tally_short(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {key}" for key, n in counts.items() if n and key != "unchanged") or "no differences"


def _rel(path: str, relative_to: str | None) -> str:
    return path if relative_to is None else path[len(relative_to) :] or "(itself)"


def _entry_text(entry: Entry, out: Tokens, indent: str, relative_to: str | None) -> None:
    if isinstance(entry, Moved):
        _moved_text(entry, out, indent, relative_to)
    elif isinstance(entry, Group):
        _group_text(entry, out, indent, relative_to)
    else:
        _field_text(entry, out, indent, relative_to)


def _field_text(f: Changed | Added | Removed, out: Tokens, indent: str, relative_to: str | None) -> None:
    mark, token = _MARK[type(f)]
    path = _rel(f.path, relative_to)
    if not isinstance(f, Changed):
        out.append((token, f"{indent}{mark} {path}: {format_value(f.value)}\n"))
        return
    old, new = format_value(f.old), format_value(f.new)
    note = f.type_note or ("same text, different type" if old == new else "")
    if len(indent) + len(path) + len(old) + len(new) + 8 <= LINE_WIDTH:
        out.append((token, f"{indent}{mark} {path}: {old} -> {new}"))
    else:
        out.append((token, f"{indent}{mark} {path}:\n"))
        out.append((_REMOVED, f"{indent}    - {old}\n"))
        out.append((_ADDED, f"{indent}    + {new}"))
    if note:
        out.append((_NOTE, f"  ({note})"))
    out.append((Token.Text, "\n"))
    detail = element_diff(f.old, f.new)
    if detail:
        for inner in detail.entries():
            _entry_text(inner, out, indent + "    ", relative_to=None)


def _group_text(g: Group, out: Tokens, indent: str, relative_to: str | None) -> None:
    path = _rel(g.path, relative_to) if g.path else "(root)"
    if g.kind in ("added", "removed"):
        mark, token = ("+", _ADDED) if g.kind == "added" else ("-", _REMOVED)
        node = g.new if g.kind == "added" else g.old
        target = f": {format_value(node.target)}" if isinstance(node, Node) and node.target is not None else ""
        out.append((token, f"{indent}{mark} {path}{target}"))
        out.append((_NOTE, f"  ({len(g.fields)} fields)\n"))
        shown = g.fields
    else:
        # The target line is the headline; so is the leaf of a replaced node.
        shown = tuple(f for f in g.fields if f.path != g.path and not (g.kind == "target" and _is_target_line(f.path, g.path)))
        what = "target changed" if g.kind == "target" else "replaced"
        out.append((_CHANGED, f"{indent}~ {path}: {value_text(g.old)} -> {value_text(g.new)}"))
        out.append((_NOTE, f"  ({what}; {_tally_short(_count(list(shown)))})\n"))
    for f in shown:
        _field_text(f, out, indent + "    ", relative_to=g.path)


def _is_target_line(path: str, node: str) -> bool:
    return parent(path) == node and last_segment(path) in TARGET_KEYS


def _moved_text(m: Moved, out: Tokens, indent: str, relative_to: str | None) -> None:
    inner = m.diff
    what = f"{m.size} fields" + (f"; {_tally_short(inner.counts())}" if inner else "")
    out.append((_MOVED, f"{indent}> {_rel(m.old_path, relative_to)} -> {_rel(m.new_path, relative_to)}"))
    out.append((_NOTE, f"  ({what})\n"))
    for entry in inner.entries():
        _entry_text(entry, out, indent + "    ", relative_to=None)


_BARS = (("changed", "~", _CHANGED), ("added", "+", _ADDED), ("removed", "-", _REMOVED), ("moved", ">", _MOVED))


# -- stat ------------------------------------------------------------------------------


def render_stat(d: Diff, *, color: bool = False, width: int = 40) -> str:
    """Counts per top-level subtree with a bar of ``~ + - >``, then the tally."""
    rows = [(name, _count(entries)) for name, entries in _sections(d)]
    out: Tokens = []
    if rows:
        name_width = max(len(name) for name, _ in rows)
        totals = [sum(c.values()) for _, c in rows]
        number_width = len(str(max(totals)))
        scale = min(1.0, width / max(totals))
        for (name, counts), total in zip(rows, totals):
            out.append((Token.Text, f" {name.ljust(name_width)} | {str(total).rjust(number_width)} "))
            for key, mark, token in _BARS:
                if counts[key]:
                    out.append((token, mark * max(1, math.floor(counts[key] * scale))))
            out.append((Token.Text, "\n"))
    out.append((_TALLY, f" {len(rows)} subtree{'s' * (len(rows) != 1)}: {_tally(d)}\n" if rows else _tally(d) + "\n"))
    return _finish(out, color)


# -- markdown --------------------------------------------------------------------------


def render_markdown(d: Diff, *, title: str | None = None, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The diff as a GitHub comment: tally, then a ```diff block per top-level subtree.

    Sections longer than :data:`FOLD_AFTER` lines are folded in ``<details>``. The whole
    stays under ``limit`` characters; what does not fit is named in a closing note.
    """
    head = [f"### {title}", ""] if title else []
    head.append(f"**{_html(_tally(d))}**: `{_md_code(d.old_source)}` → `{_md_code(d.new_source)}`")
    text = "\n".join(head) + "\n"
    sections = _sections(d)
    reserve = 400  # room for the note about what was cut
    for i, (name, entries) in enumerate(sections):
        lines: list[str] = []
        for entry in entries:
            lines.extend(_entry_diff_lines(entry))
        summary = (name, _tally_short(_count(entries)))
        section = _md_section(summary, lines)
        if len(text) + len(section) + reserve > limit:
            budget = limit - len(text) - reserve
            kept = _fit_lines(summary, lines, budget)
            if kept:
                text += _md_section(summary, lines[:kept])
            cut_lines = len(lines) - kept + sum(sum(len(_entry_diff_lines(e)) for e in es) for _, es in sections[i + 1 :])
            cut_sections = len(sections) - i - (1 if kept else 0)
            text += (
                f"\n_Cut to fit GitHub's {limit:,}-character limit: {cut_lines:,} more lines"
                f" ({cut_sections} subtree{'s' * (cut_sections != 1)}{' including the rest of ' + _html(name) if kept else ''})"
                " not shown. Run `cfgdiff OLD NEW` locally for the full diff._\n"
            )
            break
        text += section
    return text


def _fit_lines(summary: tuple[str, str], lines: list[str], budget: int) -> int:
    kept, size = 0, len(_md_section(summary, []))
    for line in lines:
        size += len(line) + 1
        if size > budget:
            break
        kept += 1
    return kept


def _md_section(summary: tuple[str, str], lines: list[str]) -> str:
    fence = "`" * max(3, _longest_backtick_run(lines) + 1)  # a value holding ``` cannot end the block
    block = f"{fence}diff\n" + "".join(line + "\n" for line in lines) + f"{fence}\n"
    name, counts = summary
    if len(lines) > FOLD_AFTER:
        return f"\n<details><summary><code>{_html(name)}</code>: {_html(counts)}</summary>\n\n{block}\n</details>\n"
    return f"\n**`{_md_code(name)}`**: {counts}\n\n{block}"


def _longest_backtick_run(lines: list[str]) -> int:
    longest = 0
    for line in lines:
        run = 0
        for c in line:
            run = run + 1 if c == "`" else 0
            longest = max(longest, run)
    return longest


def _entry_diff_lines(entry: Entry, relative_from: str = "", relative_to: str = "") -> list[str]:
    """Lines of a ```diff block: ``-``/``+`` pairs for changes, ``!`` for headlines and moves.

    Paths are full paths; inside a move, ``relative_from``/``relative_to`` are its ends.
    """
    if isinstance(entry, Changed):
        return [
            f"- {relative_from + entry.path}: {format_value(entry.old)}",
            f"+ {relative_to + entry.path}: {format_value(entry.new)}",
        ]
    if isinstance(entry, Added):
        return [f"+ {relative_to + entry.path}: {format_value(entry.value)}"]
    if isinstance(entry, Removed):
        return [f"- {relative_from + entry.path}: {format_value(entry.value)}"]
    if isinstance(entry, Group):
        lines = []
        if entry.kind in ("target", "replaced"):
            lines.append(f"! {(relative_to + entry.path) or '(root)'}: {value_text(entry.old)} -> {value_text(entry.new)}")
        for f in entry.fields:
            lines.extend(_entry_diff_lines(f, relative_from, relative_to))
        return lines
    inner = f"; {_tally_short(entry.diff.counts())}" if entry.diff else ""
    lines = [f"! {relative_from + entry.old_path} -> {relative_to + entry.new_path} (moved, {entry.size} fields{inner})"]
    for e in entry.diff.entries():
        lines.extend(_entry_diff_lines(e, relative_from + entry.old_path, relative_to + entry.new_path))
    return lines


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_code(text: str) -> str:
    return text.replace("`", "'")


# -- json ------------------------------------------------------------------------------


def render_json(d: Diff) -> str:
    """The diff as JSON (schema: :func:`to_json`), indented, keys in a fixed order."""
    import json

    return json.dumps(to_json(d), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_json(d: Diff) -> dict[str, Any]:
    """The diff as JSON-ready data::

        {"version": 1,
         "sources": {"old": LABEL, "new": LABEL},
         "changed": [{"path", "old", "new"}], "added": [{"path", "value"}],
         "removed": [{"path", "value"}],
         "moved": [{"from", "to", "fields", "changed", "added", "removed", "moved"}],
         "groups": [{"kind", "path", "old", "new", "paths"}],
         "summary": {"changed", "added", "removed", "moved", "unchanged"}}

    Paths are full paths (inside a move: removed fields at the old place, the rest at
    the new). Values are JSON values where JSON has them, else tagged (:func:`json_value`).
    """
    body = _json_body(d, "", "")
    return {
        "version": JSON_VERSION,
        "sources": {"old": d.old_source, "new": d.new_source},
        **body,
        "groups": [
            {
                "kind": g.kind,
                "path": g.path,
                "old": json_value(g.old),
                "new": json_value(g.new),
                "paths": [f.path for f in g.fields],
            }
            for g in d.groups
        ],
        "summary": d.counts(),
    }


def _json_body(d: Diff, old_base: str, new_base: str) -> dict[str, Any]:
    return {
        "changed": [{"path": new_base + f.path, "old": json_value(f.old), "new": json_value(f.new)} for f in d.changed],
        "added": [{"path": new_base + f.path, "value": json_value(f.value)} for f in d.added],
        "removed": [{"path": old_base + f.path, "value": json_value(f.value)} for f in d.removed],
        "moved": [
            {"from": old_base + m.old_path, "to": new_base + m.new_path, "fields": m.size,
             **_json_body(m.diff, old_base + m.old_path, new_base + m.new_path)}
            for m in d.moved
        ],
    }


def json_value(value: Any) -> Any:
    """A value as JSON: None, bools, ints, finite floats, strings, lists and string-keyed
    dicts as themselves; anything else tagged with ``"$type"``:

    ``{"$type": "symbol", "repr": "jax.numpy.bfloat16"}`` (an unquoted import name),
    ``{"$type": "raw", "repr": "PartitionSpec(('data',),)"}`` (text that is not a literal),
    ``{"$type": "float", "repr": "nan"}`` (also ``inf``, ``-inf``),
    ``{"$type": "bytes", "repr": "b'\\\\x00'"}``, ``{"$type": "complex", "repr": "1j"}``,
    ``{"$type": "tuple", "items": [...]}``, ``{"$type": "dict", "items": [[key, value], ...]}``
    (keys that are not strings), ``{"$type": "node", "target": ..., "fields": 3}`` (a group
    headline), and null for an absent side of a group.
    """
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$type": "float", "repr": format_value(value)}
    if kind is Symbol:
        return {"$type": "symbol", "repr": value.name}
    if kind is Raw:
        return {"$type": "raw", "repr": value.text}
    if kind is list:
        return [json_value(v) for v in value]
    if kind is tuple:
        return {"$type": "tuple", "items": [json_value(v) for v in value]}
    if kind is dict:
        if all(type(k) is str for k in value):
            return {k: json_value(v) for k, v in value.items()}
        return {"$type": "dict", "items": [[json_value(k), json_value(v)] for k, v in value.items()]}
    if kind is Node:
        return {"$type": "node", "target": json_value(value.target), "fields": value.fields}
    return {"$type": kind.__name__, "repr": format_value(value)}


# -- canonical text (``cfgdiff show``) -------------------------------------------------


def highlight_canonical(text: str, *, color: bool) -> str:
    """Canonical text, coloured for a terminal when ``color`` (paths, strings, numbers, names)."""
    if not color:
        return text
    return _finish(list(_canonical_tokens(text)), color=True)


def _canonical_tokens(text: str) -> Iterator[tuple[_TokenType, str]]:
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        path, sep, raw = body.partition(": ")
        if not body or body.startswith("#") or not sep:
            yield (_NOTE, line)
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
