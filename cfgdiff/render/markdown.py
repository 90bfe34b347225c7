"""The diff as a GitHub comment: tally, a ```diff block per subtree, long ones folded.

Never over GitHub's 65,536-character limit: what does not fit is named in a closing note.
"""

from __future__ import annotations

from cfgdiff.canonical import format_value
from cfgdiff.diff import Added, Changed, Diff, Entry, Group, Removed
from cfgdiff.render.layout import count, sections, tally, tally_short, value_text

#: GitHub's limit on the body of a comment.
GITHUB_COMMENT_LIMIT = 65_536
#: Lines a markdown section shows before it is folded into ``<details>``.
FOLD_AFTER = 20


def render_markdown(d: Diff, *, title: str | None = None, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The diff as a GitHub comment: tally, then a ```diff block per top-level subtree.

    Sections longer than :data:`FOLD_AFTER` lines are folded in ``<details>``. The whole
    stays under ``limit`` characters; what does not fit is named in a closing note.
    """
    head = [f"### {title}", ""] if title else []
    head.append(f"**{_html(tally(d))}**: `{_md_code(d.old_source)}` → `{_md_code(d.new_source)}`")
    text = "\n".join(head) + "\n"
    parts = sections(d)
    reserve = 400  # room for the note about what was cut
    for i, (name, entries) in enumerate(parts):
        lines: list[str] = []
        for entry in entries:
            lines.extend(_entry_diff_lines(entry))
        summary = (name, tally_short(count(entries)))
        section = _md_section(summary, lines)
        if len(text) + len(section) + reserve > limit:
            budget = limit - len(text) - reserve
            kept = _fit_lines(summary, lines, budget)
            if kept:
                text += _md_section(summary, lines[:kept])
            cut_lines = len(lines) - kept + sum(sum(len(_entry_diff_lines(e)) for e in es) for _, es in parts[i + 1 :])
            cut_sections = len(parts) - i - (1 if kept else 0)
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
    inner = f"; {tally_short(entry.diff.counts())}" if entry.diff else ""
    lines = [f"! {relative_from + entry.old_path} -> {relative_to + entry.new_path} (moved, {entry.size} fields{inner})"]
    for e in entry.diff.entries():
        lines.extend(_entry_diff_lines(e, relative_from + entry.old_path, relative_to + entry.new_path))
    return lines


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_code(text: str) -> str:
    return text.replace("`", "'")
