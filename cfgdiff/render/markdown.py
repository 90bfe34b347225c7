"""Diffs and change sets as GitHub pull-request comments.

What a reviewer meets first: a hidden marker (so a bot can update its own comment), a
heading, the tally, problems as alerts with their fix commands, then ```diff blocks. Value
changes come before pure additions, one change repeated at several paths is said once with
its paths, and a move says what moved and whether it changed. Blocks fold into
``<details>`` only when the comment is long. The whole stays under GitHub's
65,536-character limit: what does not fit is named in a closing note.

Escaping is one mechanism, chosen by context, never per call site: :func:`md_text` for
markdown text (paragraphs, headings, list items, table cells), :func:`md_code` for code
spans, :func:`html_text` inside raw HTML (``<summary>``), and fences longer than any run of
backticks in a block.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from cfgdiff.canonical import format_value
from cfgdiff.diff import Added, Changed, Diff, Entry, Group, Removed
from cfgdiff.lines import last_segment
from cfgdiff.render.layout import Labels, changes_tally, count, impacts, moved_text, origin_text, sections, tally, tally_short, value_text

if TYPE_CHECKING:  # change sets and outcomes: a plain diff imports neither cfgdiff.changes nor cfgdiff.runs
    from cfgdiff.changes import ChangeSet, Problem
    from cfgdiff.runs import Outcome

#: GitHub's limit on the body of a comment.
GITHUB_COMMENT_LIMIT = 65_536
#: Lines a block shows before it may be folded into ``<details>``.
FOLD_AFTER = 20
#: A comment shorter than this many lines folds nothing.
SHORT_COMMENT = 60
#: The first line of ``cfgdiff OLD NEW --format markdown``: a bot finds its own comment by it.
DIFF_MARKER = "<!-- cfgdiff-diff -->"

# -- escaping ---------------------------------------------------------------------------

# Markup characters; an underscore inside a word (``tiny_lm``) cannot start emphasis in GFM.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~&#!]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md_text(text: str) -> str:
    """Plain text as markdown text: nothing in it can become markup, a table column or HTML.

    A newline would end a table row or a heading, so line breaks become spaces.
    """
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))


def md_code(text: str, *, table: bool = False) -> str:
    """Text as one code span, whatever backticks it holds; in a table, ``|`` is escaped
    (GitHub splits cells before it reads code spans)."""
    text = " ".join(str(text).splitlines())
    ticks = "`" * (_longest_run(text, "`") + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    span = f"{ticks}{pad}{text}{pad}{ticks}"
    return span.replace("|", "\\|") if table else span


def html_text(text: str) -> str:
    """Plain text inside raw HTML, where markdown is not read: only HTML's own escapes."""
    text = " ".join(str(text).splitlines())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _fence(lines: Iterable[str]) -> str:
    return "`" * max(3, max((_longest_run(line, "`") for line in lines), default=0) + 1)


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max(map(len, runs), default=0)


# -- ```diff lines ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Repeated:
    """One value change found at several paths: said once, with the paths."""

    changes: tuple[Changed, ...]


def _items(entries: list[Entry]) -> list[Entry | _Repeated]:
    """Entries with same-named fields changed the same way at several paths folded together."""
    alike: dict[tuple[str, str, str], list[Changed]] = {}
    for e in entries:
        if isinstance(e, Changed):
            alike.setdefault((last_segment(e.path), format_value(e.old), format_value(e.new)), []).append(e)
    items: list[Entry | _Repeated] = []
    for e in entries:
        if isinstance(e, Changed):
            group = alike[(last_segment(e.path), format_value(e.old), format_value(e.new))]
            if len(group) > 1:
                if group[0] is e:
                    items.append(_Repeated(tuple(group)))
                continue
        items.append(e)
    return items


def _item_lines(item: Entry | _Repeated, old_base: str = "", new_base: str = "", labels: Labels | None = None) -> list[str]:
    """Lines of a ```diff block: ``-``/``+`` for values, ``!`` for headlines and moves.

    Paths are full paths; inside a move, ``old_base``/``new_base`` are its two ends.
    A labelled field's line ends with its labels (``labels``: the diff's, by its paths):
    ``+ model.dim: 16  [breaks-checkpoint]``.
    """
    labels = labels or {}
    if isinstance(item, _Repeated):
        first = item.changes[0]
        name = last_segment(first.path)
        return [
            f"- {name}: {format_value(first.old)}",
            f"+ {name}: {format_value(first.new)}{_label_text(labels, *(c.path for c in item.changes))}",
            *(f"    at {new_base + c.path}" for c in item.changes),
        ]
    if isinstance(item, Changed):
        return [
            f"- {old_base + item.path}: {format_value(item.old)}",
            f"+ {new_base + item.path}: {format_value(item.new)}{_label_text(labels, item.path)}",
        ]
    if isinstance(item, Added):
        return [f"+ {new_base + item.path}: {format_value(item.value)}{_label_text(labels, item.path)}"]
    if isinstance(item, Removed):
        return [f"- {old_base + item.path}: {format_value(item.value)}{_label_text(labels, item.path)}"]
    if isinstance(item, Group):
        lines = []
        if item.kind in ("target", "replaced"):
            lines.append(f"! {(new_base + item.path) or '(root)'}: {value_text(item.old)} -> {value_text(item.new)}")
        for f in item.fields:
            lines.extend(_item_lines(f, old_base, new_base, labels))
        return lines
    moved = _label_text(labels, item.old_path, item.new_path)
    lines = [f"! {old_base + item.old_path} -> {new_base + item.new_path}  (moved: {moved_text(item)}){moved}"]
    for e in item.diff.entries():
        lines.extend(_item_lines(e, old_base + item.old_path, new_base + item.new_path, item.diff.labels))
    return lines


def _label_text(labels: Labels, *paths: str) -> str:
    found = tuple(dict.fromkeys(label for path in paths for label in labels.get(path, ())))
    return f"  [{', '.join(found)}]" if found else ""


def _impact_table(found: list[Any], title: str = "Impact") -> list[str]:
    """The figures that moved (:mod:`cfgdiff.impact`) as a table: figure, old, new, ratio."""
    if not found:
        return []
    rows = [
        f"| {md_text(c.name)} | {md_text(c.old.text) if c.old else '(none)'} | {md_text(c.new.text) if c.new else '(none)'} | {md_text(c.ratio)} |"
        for c in found
    ]
    return [f"| {md_text(title)} | old | new | |", "|---|--:|--:|---|", *rows, ""]


def _counts(items: list[Entry | _Repeated]) -> dict[str, int]:
    """What the items show, counted as the tally counts: fields, and moves as subtrees."""
    counts = count([item for item in items if not isinstance(item, _Repeated)])
    counts["changed"] += sum(len(item.changes) for item in items if isinstance(item, _Repeated))
    return counts


def _blocks(d: Diff) -> list[tuple[str, list[Entry | _Repeated]]]:
    """The diff's sections (top-level subtrees), value changes first, repeats folded."""
    parts = sections(d)
    items = _items([e for _, entries in parts for e in entries])
    where = {id(e): name for name, entries in parts for e in entries}
    out: dict[str, list[Entry | _Repeated]] = {}
    for item in items:
        anchor = item.changes[0] if isinstance(item, _Repeated) else item
        out.setdefault(where[id(anchor)], []).append(item)
    # A reviewer looks for changed values before additions (axis rules sort before batch sizes).
    return sorted(out.items(), key=lambda part: not any(_changes_a_value(i) for i in part[1]))


def _changes_a_value(item: Entry | _Repeated) -> bool:
    return isinstance(item, (Changed, _Repeated)) or (isinstance(item, Group) and item.kind in ("target", "replaced"))


# -- sections and the size limit -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Section:
    """A titled ```diff block; ``title`` is markdown, ``plain`` the same words as plain text;
    ``after`` is markdown shown below the block (where the values were set)."""

    title: str
    plain: str
    lines: list[str]
    after: tuple[str, ...] = ()

    def render(self, folded: bool) -> str:
        fence = _fence(self.lines)
        block = f"{fence}diff\n" + "".join(line + "\n" for line in self.lines) + f"{fence}\n"
        after = "".join(f"{line}\n" for line in self.after)
        if folded:
            return f"\n<details><summary>{html_text(self.plain)}</summary>\n\n{block}{after}\n</details>\n"
        return f"\n{self.title}\n\n{block}{after}"


def _assemble(head: list[str], parts: list[_Section], tail: list[str], limit: int, what: str) -> str:
    """Head, sections (folded only where that helps) and tail, under ``limit`` characters."""
    total = len(head) + len(tail) + sum(len(s.lines) + 4 for s in parts)
    fold = len(parts) > 1 and total >= SHORT_COMMENT
    out = "\n".join(head).rstrip("\n") + "\n"
    closing = ("\n" + "\n".join(tail) + "\n") if tail else ""
    reserve = 400 + len(closing)
    for i, section in enumerate(parts):
        text = section.render(fold and len(section.lines) > FOLD_AFTER)
        if len(out) + len(text) + reserve > limit:
            budget = limit - len(out) - reserve
            kept = _fit(section, budget, fold)
            if kept:
                out += dataclasses.replace(section, lines=section.lines[:kept]).render(fold and kept > FOLD_AFTER)
            cut_lines = len(section.lines) - kept + sum(len(s.lines) for s in parts[i + 1 :])
            cut = len(parts) - i - (1 if kept else 0)
            rest = f" including the rest of {section.plain}" if kept else ""
            out += (
                f"\n_Cut to fit GitHub's {limit:,}-character limit: {cut_lines:,} more lines"
                f" ({cut} section{'s' * (cut != 1)}{md_text(rest)}) not shown."
                f" Run `{what}` locally for the full diff._\n"
            )
            break
        out += text
    return out + closing


def _fit(section: _Section, budget: int, fold: bool) -> int:
    kept, size = 0, len(section.render(fold)) - sum(len(line) + 1 for line in section.lines)
    for line in section.lines:
        size += len(line) + 1
        if size > budget:
            break
        kept += 1
    return kept


def _short(label: str) -> str:
    """A source label as a reviewer wants it: a path under the current folder, relative."""
    if os.path.isabs(label):
        relative = os.path.relpath(label)
        return label if relative.startswith("..") else relative
    return label


# -- one diff ---------------------------------------------------------------------------------


def render_markdown(
    d: Diff,
    *,
    title: str | None = None,
    marker: str | None = DIFF_MARKER,
    limit: int = GITHUB_COMMENT_LIMIT,
    outcomes: Sequence[Outcome] | None = None,
) -> str:
    """The diff as a GitHub comment: marker, heading, tally, then a ```diff block per subtree.

    ``outcomes`` (of two run directories, old and new) add an outcomes table after the impact.
    """
    old, new = md_code(_short(d.old_source)), md_code(_short(d.new_source))
    head = [marker] if marker else []
    head += [f"### {md_text(title)}" if title else f"### cfgdiff: {old} → {new}", ""]
    head.append(f"**{md_text(tally(d))}**" + (f": {old} → {new}" if title else ""))
    if d.impact:
        head += ["", *_impact_table(d.impact)]
    if outcomes:
        from cfgdiff.render.table import outcomes_markdown, run_labels  # (table imports this module)

        head += ["", *outcomes_markdown(run_labels(outcomes), outcomes).rstrip("\n").split("\n")][head[-1] == "" :]
    parts = [
        _Section(f"**{md_code(name)}**: {tally_short(_counts(items))}", f"{name}: {tally_short(_counts(items))}",
                 [line for item in items for line in _item_lines(item, labels=d.labels)], _origins(items))
        for name, items in _blocks(d)
    ]
    return _assemble(head, parts, [], limit, "cfgdiff OLD NEW")


# -- change sets (golden check, golden update, review) -------------------------------------


def render_changes_markdown(changes: ChangeSet, *, marker: str | None = None, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """A change set as a pull-request comment.

    The headline says what changed (recipes, the shared changes and how many recipes each
    touches, each recipe's own counts), the commit it describes, and the problems, errors
    in a ``[!CAUTION]`` alert and warnings in ``[!WARNING]``, each with its fix command in
    an ``sh`` block. Then the shared changes, once each, and each recipe's own changes.
    """
    head = [marker] if marker else []
    head += [f"## {md_text(changes.title or 'cfgdiff: config changes')}", ""]
    ctx, where = changes.context, []
    if ctx.get("base"):
        where.append(f"against {md_code(ctx['base'])} (merge base {md_code(ctx.get('merge_base', '')[:10])})")
    if ctx.get("head"):
        where.append(f"for commit {md_code(ctx['head'][:10])}" + (f" with {md_text(ctx['worktree'])}" if ctx.get("worktree") else ""))
    lead = [f"**{md_text(changes_tally(changes))}**"] if changes.tally else []
    if where:
        lead.append(" ".join(where) + ".")
    if lead:
        head += [" ".join(lead), ""]
    for title, found in impacts(changes):
        head += _impact_table(found, title)
    for severity, alert in (("error", "CAUTION"), ("warning", "WARNING")):
        found = [p for p in changes.problems if p.severity == severity]
        if found:
            head += [f"> [!{alert}]", *(line for p in found for line in _alert_item(p)), ""]
    if changes.fix:
        head += ["To accept these configs:", "", *_sh_block(changes.fix), ""]
    head += _overview(changes)

    parts = []
    for shared in changes.shared:
        names = ", ".join(md_code(n) for n in shared.recipes)
        what = tally_short(shared.diff.counts())
        title = f"**Shared by {len(shared.recipes)} recipes** ({names}): {what}"
        plain = f"Shared by {len(shared.recipes)} recipes ({', '.join(shared.recipes)}): {what}"
        parts.append(_section(title, plain, shared.diff, changes.context.get("blob_url")))
    for recipe in changes.recipes:
        if recipe.only_shared or not recipe.diff:
            continue
        own = recipe.shown
        besides = " besides the shared changes" if own is not recipe.diff else ""
        what = tally_short(own.counts()) + besides
        parts.append(_section(f"**{md_code(recipe.name)}**: {what}", f"{recipe.name}: {what}", own, changes.context.get("blob_url")))
    tail = [f"- {md_text(r.note)}" for r in changes.recipes if not r.diff]
    if not parts and not tail:
        tail.append("No recipe's config changes.")
    return _assemble(head, parts, tail, limit, "cfgdiff review")


def _overview(changes: ChangeSet) -> list[str]:
    """A table of the recipes whose configs changed: their own counts and the shared ones."""
    changed = changes.changed
    if len(changed) < 2 and not changes.shared:
        return []
    remarks = any(r.remark for r in changed)
    rows = ["| recipe | its own changes | shared changes |" + (" |" if remarks else ""), "|---|---|---|" + ("---|" if remarks else "")]
    for r in changed:
        own = r.shown.counts()  # type: ignore[union-attr]
        shared = {k: v - own[k] for k, v in r.diff.counts().items() if k != "unchanged"}  # type: ignore[union-attr]
        row = (
            f"| {md_code(r.name, table=True)} | {md_text(tally_short(own) if r.shown else '—')} "
            f"| {md_text(tally_short(shared) if any(shared.values()) else '—')} |"
        )
        rows.append(row + (f" {md_text(r.remark)} |" if remarks else ""))
    return [*rows, ""]


def _section(title: str, plain: str, d: Diff, blob_url: str | None) -> _Section:
    """One block for a whole diff (a recipe's, or shared changes), its origins below it."""
    items = [item for _, part in _blocks(d) for item in part]
    return _Section(title, plain, [line for item in items for line in _item_lines(item, labels=d.labels)], _origins(items, blob_url))


def _origins(items: list[Entry | _Repeated], blob_url: str | None = None) -> tuple[str, ...]:
    """"Set at" lines: each origin once, with the paths whose new values it set; linked to
    the line at the commit when ``blob_url`` is the repository's file URL prefix."""
    fields: list[Changed | Added] = []
    for item in items:
        if isinstance(item, _Repeated):
            fields.extend(item.changes)
        elif isinstance(item, Group):
            fields.extend(f for f in item.fields if not isinstance(f, Removed))
        elif isinstance(item, (Changed, Added)):
            fields.append(item)
    by_origin: dict[str, list[Changed | Added]] = {}
    for f in fields:
        if f.origin is not None:
            by_origin.setdefault(origin_text(f), []).append(f)
    lines = []
    for text, found in by_origin.items():
        origin = found[0].origin
        where = md_text(text)
        file, line = getattr(origin, "file", None), getattr(origin, "line", None)
        if blob_url and file and line:
            where = f"[{where}]({blob_url}{file}#L{line})"
        shown = ", ".join(md_code(f.path) for f in found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        lines.append(f"- {shown}: set at {where}")
    return tuple(lines)


def _alert_item(problem: Problem) -> list[str]:
    lines = [f"> - {md_text(problem.message)}"]
    if problem.fix:
        lines += [f">   {line}" for line in _sh_block(problem.fix)]
    return lines


def _sh_block(command: str) -> list[str]:
    fence = _fence([command])
    return [f"{fence}sh", command, fence]
