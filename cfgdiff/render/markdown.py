"""The diff as a GitHub comment: tally, a ```diff block per subtree, long ones folded.

Never over GitHub's 65,536-character limit: what does not fit is named in a closing note.
"""

from __future__ import annotations

from typing import Any

from cfgdiff.canonical import format_value
from cfgdiff.changes import ChangeSet, Problem, name_list
from cfgdiff.diff import Added, Changed, Diff, Entry, Group, Removed
from cfgdiff.render.layout import Labels, changes_diffs, count, labels_tally, sections, tally, tally_short, value_text

#: GitHub's limit on the body of a comment.
GITHUB_COMMENT_LIMIT = 65_536
#: Lines a markdown section shows before it is folded into ``<details>``.
FOLD_AFTER = 20
#: A comment shorter than this many lines folds nothing.
SHORT_COMMENT = 60


def render_markdown(d: Diff, *, title: str | None = None, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The diff as a GitHub comment: tally, then a ```diff block per top-level subtree.

    Sections longer than :data:`FOLD_AFTER` lines are folded in ``<details>``. The whole
    stays under ``limit`` characters; what does not fit is named in a closing note.
    """
    head = [f"### {title}", ""] if title else []
    head.append(f"**{_html(tally(d))}**: `{_md_code(d.old_source)}` → `{_md_code(d.new_source)}`")
    head += _impact_table(d.impact)
    text = "\n".join(head) + "\n"
    parts = sections(d)
    reserve = 400  # room for the note about what was cut
    for i, (name, entries) in enumerate(parts):
        lines: list[str] = []
        for entry in entries:
            lines.extend(_entry_diff_lines(entry, labels=d.labels))
        summary = (name, tally_short(count(entries)))
        section = _md_section(summary, lines)
        if len(text) + len(section) + reserve > limit:
            budget = limit - len(text) - reserve
            kept = _fit_lines(summary, lines, budget)
            if kept:
                text += _md_section(summary, lines[:kept])
            cut_lines = len(lines) - kept + sum(sum(len(_entry_diff_lines(e, labels=d.labels)) for e in es) for _, es in parts[i + 1 :])
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


def _entry_diff_lines(entry: Entry, relative_from: str = "", relative_to: str = "", labels: Labels | None = None) -> list[str]:
    """Lines of a ```diff block: ``-``/``+`` pairs for changes, ``!`` for headlines and moves.

    Paths are full paths; inside a move, ``relative_from``/``relative_to`` are its ends.
    A labelled field's line ends with its labels: ``+ model.dim: 16  [breaks-checkpoint]``.
    """
    labels = labels or {}
    if isinstance(entry, Changed):
        return [
            f"- {relative_from + entry.path}: {format_value(entry.old)}",
            f"+ {relative_to + entry.path}: {format_value(entry.new)}{_label_text(labels, entry.path)}",
        ]
    if isinstance(entry, Added):
        return [f"+ {relative_to + entry.path}: {format_value(entry.value)}{_label_text(labels, entry.path)}"]
    if isinstance(entry, Removed):
        return [f"- {relative_from + entry.path}: {format_value(entry.value)}{_label_text(labels, entry.path)}"]
    if isinstance(entry, Group):
        lines = []
        if entry.kind in ("target", "replaced"):
            lines.append(f"! {(relative_to + entry.path) or '(root)'}: {value_text(entry.old)} -> {value_text(entry.new)}")
        for f in entry.fields:
            lines.extend(_entry_diff_lines(f, relative_from, relative_to, labels))
        return lines
    inner = f"; {tally_short(entry.diff.counts())}" if entry.diff else ""
    moved = _label_text(labels, entry.old_path, entry.new_path)
    lines = [f"! {relative_from + entry.old_path} -> {relative_to + entry.new_path} (moved, {entry.size} fields{inner}){moved}"]
    for e in entry.diff.entries():
        lines.extend(_entry_diff_lines(e, relative_from + entry.old_path, relative_to + entry.new_path, entry.diff.labels))
    return lines


def _label_text(labels: Labels, *paths: str) -> str:
    found = tuple(dict.fromkeys(label for path in paths for label in labels.get(path, ())))
    return f"  [{', '.join(found)}]" if found else ""


def _impact_table(found: list[Any], title: str = "Impact") -> list[str]:
    """The figures that moved, as a table: figure, old, new, ratio."""
    if not found:
        return []
    rows = [f"| {_html(c.name)} | {_html(c.old.text) if c.old else '(none)'} | {_html(c.new.text) if c.new else '(none)'} | {c.ratio} |" for c in found]
    return ["", f"| {_html(title)} | old | new | |", "|---|--:|--:|---|", *rows, ""]


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_code(text: str) -> str:
    return text.replace("`", "'")


# -- change sets (golden check, review) ---------------------------------------------------


def render_changes_markdown(changes: ChangeSet, *, marker: str | None = None, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """A change set as a pull-request comment: headline, problems as alerts with their fix
    commands, the shared changes, then each recipe's own changes in a ```diff block.

    Blocks fold into ``<details>`` only when the comment is long; the whole stays under
    ``limit`` characters, dropping whole sections from the end with a note.
    """
    head = [marker] if marker else []
    head += [f"## {_html(changes.title or 'cfgdiff: config changes')}", ""]
    if changes.tally:
        head += [f"**{_html(changes.tally + labels_tally(changes_diffs(changes)))}**", ""]
    for recipe in changes.recipes:
        if recipe.diff and recipe.diff.impact and changes.details:
            head += _impact_table(recipe.diff.impact, f"Impact on {recipe.name}")
    for severity, alert in (("error", "CAUTION"), ("warning", "WARNING")):
        found = [p for p in changes.problems if p.severity == severity]
        if found:
            head += [f"> [!{alert}]", *(line for p in found for line in _alert_item(p)), ""]
    if changes.fix:
        head += ["To accept these configs:", "", *_sh_block(changes.fix), ""]
    blocks: list[tuple[str, list[str]]] = []
    for shared in changes.shared:
        what = tally_short(count(shared.diff.entries()))
        blocks.append((f"Shared by {len(shared.recipes)} recipes ({name_list(shared.recipes)}): {what}", _diff_lines(shared.diff)))
    notes = []
    for recipe in changes.recipes:
        if recipe.only_shared:
            continue
        if not recipe.diff:
            notes.append(f"- {_html(recipe.note)}")
            continue
        own = recipe.own if recipe.own is not None else recipe.diff
        besides = " besides the shared changes" if own is not recipe.diff else ""
        blocks.append((f"{recipe.note}: {tally_short(count(own.entries()))}{besides}", _diff_lines(own)))
    only = [r.name for r in changes.recipes if r.only_shared]
    if only:
        notes.append(f"- {len(only)} recipes {changes.verb} only by the shared changes: {_html(name_list(only))}")
    total = len(head) + len(notes) + sum(len(lines) + 4 for _, lines in blocks)
    fold = len(blocks) > 1 and total >= SHORT_COMMENT
    sections_md = [_block(summary, lines, fold and len(lines) > FOLD_AFTER) for summary, lines in blocks]
    if notes:
        sections_md.append("\n" + "\n".join(notes) + "\n")
    if not sections_md:
        sections_md.append("\nNo recipe's config changes.\n")
    out, budget = "\n".join(head).rstrip("\n") + "\n", limit - 300
    for i, section in enumerate(sections_md):
        if len(out) + len(section) > budget:
            out += f"\n_{len(sections_md) - i} more sections not shown (GitHub's {limit:,}-character limit); run `cfgdiff` locally._\n"
            break
        out += section
    return out


def _alert_item(problem: Problem) -> list[str]:
    lines = [f"> - {_html(problem.message)}"]
    if problem.fix:
        lines += [f">   {line}" if line else ">" for line in _sh_block(problem.fix)]
    return lines


def _sh_block(command: str) -> list[str]:
    fence = "`" * max(3, _longest_backtick_run([command]) + 1)
    return [f"{fence}sh", command, fence]


def _diff_lines(d: Diff) -> list[str]:
    lines: list[str] = []
    for entry in d.entries():
        lines.extend(_entry_diff_lines(entry, labels=d.labels))
    return lines


def _block(summary: str, lines: list[str], folded: bool) -> str:
    fence = "`" * max(3, _longest_backtick_run(lines) + 1)
    block = f"{fence}diff\n" + "".join(line + "\n" for line in lines) + f"{fence}\n"
    if folded:
        return f"\n<details><summary>{_html(summary)}</summary>\n\n{block}\n</details>\n"
    return f"\n**{_html(summary)}**\n\n{block}"
