"""Compare two configs field by field: what changed, was added, removed or moved.

The diff is keyed by path and works on canonical lines (``path: value``,
:mod:`cfgdiff.lines`): two files are compared as sorted lists of lines, so only the few
lines that differ are ever parsed, and the work is linear in the number of fields (the
one sort of the lines both sides share, done in C, is the only exception). On top
of the per-field facts it recovers the structure a reviewer thinks in:

* **Targets.** A changed ``klass``/``fn``/``partial`` line groups every difference under
  its node into one entry ("attention: MultiheadAttention -> GroupedQueryAttention"), as
  do a node that appears or disappears whole and a leaf that became a node (or back).
* **Moves.** A subtree that left one path and arrived at another is one move, with any
  differences inside it. List items are matched by content, so inserting one item in a
  list reads as one added item plus moves, not as every later item renumbered.
* **Types.** Values are compared type-strictly (``1``, ``1.0``, ``True`` and ``'1'`` all
  differ); texts that spell the same value (``"a"`` and ``'a'``) are not a change.

>>> d = diff("a: 1\\nb: 'x'\\n", "a: 2\\nb: 'x'\\nc: None\\n")
>>> d.summary()
'1 changed, 1 added, 0 removed (1 unchanged)'
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Union

from cfgdiff import canonical
from cfgdiff.canonical import FlatConfig, Raw, Text, values_equal
from cfgdiff.errors import CfgdiffError
from cfgdiff.lines import Lines, check_unchanged, differing, is_under, last_segment, pair, parent, path_of, prefixes, sort_key

#: The field that names a node's target (AXLearn's ``klass``/``fn``; ours for partials).
TARGET_KEYS = ("klass", "fn", "partial")

# A subtree needs this many fields to be a move candidate: single values that happen to
# be equal (``dropout: 0.1`` removed, ``eps: 0.1`` added) are not a rename.
_MIN_MOVE_FIELDS = 2
# Two subtrees whose lines overlap this much (Jaccard) are one subtree, changed.
_SIMILAR = 0.5
# Beyond this many candidate pairs, only exact and same-path matches are tried.
_MAX_FUZZY_PAIRS = 10_000


class FilterError(CfgdiffError, ValueError):
    """An ``--only``/``--ignore`` filter that cannot apply (``--only`` selecting nothing)."""


# -- result types ----------------------------------------------------------------------


@dataclass(frozen=True)
class Changed:
    """A field whose value differs: ``path: old -> new``."""

    path: str
    old: Any
    new: Any
    #: Where the new value was set, and the old one (``provenance.Origin``), when known.
    origin: Any = field(default=None, compare=False)
    old_origin: Any = field(default=None, compare=False)

    @property
    def type_note(self) -> str:
        """``'int -> str'`` when the two values differ in type (and neither is None), else ''."""
        if self.old is None or self.new is None or type(self.old) is type(self.new):
            return ""
        return f"{type_name(self.old)} -> {type_name(self.new)}"


@dataclass(frozen=True)
class Added:
    """A field only the new config has."""

    path: str
    value: Any
    #: Where its value was set (``provenance.Origin``), when known.
    origin: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Removed:
    """A field only the old config has."""

    path: str
    value: Any


Field = Union[Changed, Added, Removed]


@dataclass(frozen=True)
class Node:
    """A subtree standing where the other side has a leaf or nothing (a group's headline)."""

    target: Any  # the node's klass/fn/partial value, or None
    fields: int


@dataclass(frozen=True)
class Group:
    """Differences under one node that a reviewer reads as a single change.

    ``kind`` is ``'target'`` (its klass/fn/partial changed), ``'added'``/``'removed'`` (the
    node appears or disappears whole) or ``'replaced'`` (a leaf became a node, or back).
    ``old``/``new`` are the headline: target values, leaf values, or :class:`Node`.
    ``fields`` are the field-level differences under the node, in path order.
    """

    kind: str
    path: str
    old: Any
    new: Any
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Moved:
    """A subtree that left ``old_path`` and arrived at ``new_path``.

    ``size`` counts its fields; ``diff`` holds the differences inside it, with paths
    relative to the subtree (``.eps``, ``[0].klass``); it is empty for a pure move.
    ``target`` is the subtree's klass/fn/partial where it has one (what moved, in a word).
    """

    old_path: str
    new_path: str
    size: int
    diff: Diff
    target: Any = None


Entry = Union[Changed, Added, Removed, Group, Moved]


@dataclass
class Diff:
    """What differs between two configs.

    ``changed``/``added``/``removed`` list every field-level difference outside moved
    subtrees (those inside target groups included); ``moved`` lists moved subtrees;
    ``groups`` say which fields belong together; ``unchanged`` counts the fields that are
    the same at the same path.
    """

    changed: list[Changed] = field(default_factory=list)
    added: list[Added] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    unchanged: int = 0
    old_source: str = "<old>"
    new_source: str = "<new>"
    #: What the change does to the run: ``impact.FigureChange``s (``diff(..., impact=True)``).
    impact: list[Any] = field(default_factory=list, compare=False)
    #: ``{path: labels}`` of labelled fields, paths as in this diff (``labels.Labeler.annotate``).
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def __bool__(self) -> bool:
        """True when anything differs."""
        return bool(self.changed or self.added or self.removed or self.moved)

    def counts(self) -> dict[str, int]:
        """Field counts, differences inside moved subtrees included; ``moved`` counts subtrees."""
        counts = {"changed": len(self.changed), "added": len(self.added), "removed": len(self.removed), "moved": len(self.moved)}
        for move in self.moved:
            inner = move.diff.counts()
            for key in counts:
                counts[key] += inner[key]
        counts["unchanged"] = self.unchanged
        return counts

    def summary(self) -> str:
        """The tally line: ``'3 changed, 2 added, 1 removed, 1 moved (44,994 unchanged)'``."""
        return summary_line(self.counts())

    def entries(self) -> list[Entry]:
        """What to show, in path order: groups, moves, and the fields in neither."""
        grouped = {id(f) for g in self.groups for f in g.fields}
        out: list[Entry] = [f for f in (*self.changed, *self.added, *self.removed) if id(f) not in grouped]
        out.extend(self.groups)
        out.extend(self.moved)
        out.sort(key=lambda e: sort_key(entry_path(e)))
        return out

    def without(self, keys: Collection[Hashable]) -> Diff:
        """This diff less the entries whose :func:`entry_key` is in ``keys`` (said elsewhere).

        The fields of a dropped group go with it; ``unchanged`` stays as it is.
        """
        dropped = [e for e in self.entries() if entry_key(e) in keys]
        if not dropped:
            return self
        gone = {id(e) for e in dropped} | {id(f) for e in dropped if isinstance(e, Group) for f in e.fields}
        return replace(
            self,
            changed=[f for f in self.changed if id(f) not in gone],
            added=[f for f in self.added if id(f) not in gone],
            removed=[f for f in self.removed if id(f) not in gone],
            moved=[m for m in self.moved if id(m) not in gone],
            groups=[g for g in self.groups if id(g) not in gone],
        )


def entry_key(entry: Entry) -> Hashable:
    """What an entry says, as a hashable value: equal keys mean the same change, whichever
    two configs it was found between (how one shared default is recognised across recipes)."""
    if isinstance(entry, Changed):
        return ("~", entry.path, _value_key(entry.old), _value_key(entry.new))
    if isinstance(entry, Added):
        return ("+", entry.path, _value_key(entry.value))
    if isinstance(entry, Removed):
        return ("-", entry.path, _value_key(entry.value))
    if isinstance(entry, Group):
        return ("group", entry.kind, entry.path, _value_key(entry.old), _value_key(entry.new), tuple(map(entry_key, entry.fields)))
    return (">", entry.old_path, entry.new_path, entry.size, tuple(map(entry_key, entry.diff.entries())))


def _value_key(value: Any) -> Hashable:
    if isinstance(value, Node):
        return ("node", _value_key(value.target), value.fields)
    return canonical.format_value(value)


def summary_line(counts: Mapping[str, int]) -> str:
    """``'3 changed, 2 added, 1 removed, 1 moved (44,994 unchanged)'``; moves only when any."""
    text = f"{counts['changed']:,} changed, {counts['added']:,} added, {counts['removed']:,} removed"
    if counts.get("moved"):
        text += f", {counts['moved']:,} moved"
    return text + f" ({counts.get('unchanged', 0):,} unchanged)"


def entry_path(entry: Entry) -> str:
    """The path an entry is shown at (a move's destination)."""
    return entry.new_path if isinstance(entry, Moved) else entry.path


def type_name(value: Any) -> str:
    """A short type name for notes: ``int``, ``str``, ``symbol``, ``raw text``, ..."""
    if isinstance(value, canonical.Symbol):
        return "symbol"
    if isinstance(value, Raw):
        return "raw text"
    if isinstance(value, Node):
        return "node"
    return type(value).__name__


# -- inputs ----------------------------------------------------------------------------


ConfigLike = Union[FlatConfig, Text, str, "os.PathLike[str]", Any]


def diff(old: ConfigLike, new: ConfigLike, *, ignore: Sequence[str] = (), only: str | None = None, impact: bool = False) -> Diff:
    """Compare two configs field by field.

    Each side is a :class:`FlatConfig`, a :class:`Text`, canonical text as a ``str``, a
    file as an ``os.PathLike``, or a config tree (anything ``canonical.flatten`` takes).
    ``ignore`` drops paths matching any glob (``*`` matches any text; a pattern that
    matches a node drops its subtree); ``only`` keeps the subtree at one path prefix.
    Raises ParseError (``FILE:LINE: ...``) for malformed text, FilterError when ``only``
    selects nothing on either side. With ``impact``, ``Diff.impact`` lists the figures
    (:mod:`cfgdiff.impact`) that moved between the whole configs, filters aside.
    """
    old_side, new_side = pair(old, new)
    whole = (old_side, new_side)
    keep = path_filter(ignore=ignore, only=only)
    if keep is not None:
        old_side = old_side.filtered(keep)
        new_side = new_side.filtered(keep)
        if only and not old_side.lines and not new_side.lines:
            # A typo in --only would otherwise read as "no differences".
            raise FilterError(f"--only {only!r}: neither config has a field under it")
    origins = _Origins(getattr(old, "origins", None), getattr(new, "origins", None))
    result = _diff_sides(old_side, new_side, origins)
    result.old_source, result.new_source = old_side.source, new_side.source
    if impact and result:
        from cfgdiff.impact import LinesView, changes

        result.impact = changes(LinesView(whole[0]), LinesView(whole[1]))
    return result


class _Origins(NamedTuple):
    """Both sides' ``{path: Origin}`` maps, seen from inside a moved subtree (prefixes)."""

    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    old_prefix: str = ""
    new_prefix: str = ""

    def of_old(self, path: str) -> Any:
        return self.old.get(self.old_prefix + path) if self.old is not None else None

    def of_new(self, path: str) -> Any:
        return self.new.get(self.new_prefix + path) if self.new is not None else None

    def inside(self, old_path: str, new_path: str) -> _Origins:
        return _Origins(self.old, self.new, self.old_prefix + old_path, self.new_prefix + new_path)


def path_filter(*, ignore: Sequence[str] = (), only: str | None = None) -> Any:
    """A ``path -> bool`` keep-predicate for ``--ignore``/``--only``, or None to keep all."""
    if not ignore and not only:
        return None
    ignored = glob_matcher(ignore) if ignore else None
    if only:
        prefix = only.rstrip("./")
        starts = tuple(prefix + sep for sep in ".[/") if prefix else ("",)
    def keep(path: str) -> bool:
        if only and path != prefix and not path.startswith(starts):
            return False
        return ignored is None or ignored.match(path) is None
    return keep


def glob_matcher(globs: Sequence[str]) -> re.Pattern[str]:
    """A pattern whose ``match(path)`` says whether a path is at or under a path matching any glob.

    ``*`` matches any text, ``?`` one character, and a glob matches whole path segments:
    ``model.dim`` matches ``model.dim`` and ``model.dim.x``, not ``model.dimension``.
    """
    # The group matters: an end-of-segment check after a bare alternation binds to the last glob only.
    return re.compile("(?:" + "|".join(_glob_regex(g) for g in globs) + r")(?=[.\[/]|\Z)")


def _glob_regex(glob: str) -> str:
    # Brackets are literal (paths are full of them); only * and ? are wildcards.
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)


# -- the diff --------------------------------------------------------------------------


_ITEM = re.compile(r"\[[0-9]+\]\Z")  # a list item: the path ends in an index


def _diff_sides(old: Lines, new: Lines, origins: _Origins) -> Diff:
    only_old, only_new = differing(old, new)
    result = Diff(unchanged=len(old) - len(only_old), old_source=old.source, new_source=new.source)
    if not only_old and not only_new:
        check_unchanged(old, new)
        return result
    rem = old.fields(only_old)
    add = new.fields(only_new)
    # A differing path that also stands on a line both sides share is given twice.
    for path in rem:
        if new.count_path(path) != (path in add):
            old.raise_malformed()
    for path in add:
        if old.count_path(path) != (path in rem):
            new.raise_malformed()
    # Texts that differ but spell the same value ("a" / 'a', 1e-8 / 1e-08) are no change.
    same = {p for p in rem.keys() & add.keys() if values_equal(old.value(p, rem[p]), new.value(p, add[p]))}
    result.unchanged += len(same)

    moves = _find_moves(old, new, rem.keys() - same, add.keys() - same)
    if moves:
        rem, add, lost = _account_moves(old, new, rem, add, same, moves)
        result.unchanged -= lost
    for old_path, new_path in moves:
        inner = _diff_sides(old.sub(old_path), new.sub(new_path), origins.inside(old_path, new_path))
        result.moved.append(Moved(old_path, new_path, new.size(new_path), inner, _target(new, new_path)))

    both = rem.keys() & add.keys()
    for path in sorted(both - same, key=sort_key):
        result.changed.append(
            Changed(path, old.value(path, rem[path]), new.value(path, add[path]), origins.of_new(path), origins.of_old(path))
        )
    for path in sorted(add.keys() - both, key=sort_key):
        result.added.append(Added(path, new.value(path, add[path]), origins.of_new(path)))
    for path in sorted(rem.keys() - both, key=sort_key):
        result.removed.append(Removed(path, old.value(path, rem[path])))
    result.moved.sort(key=lambda m: sort_key(m.new_path))
    result.groups = _groups(result, old, new, moves)
    return result


def _target(side: Lines, node: str) -> Any:
    """The klass/fn/partial value of the node at ``node``, or None."""
    for key in TARGET_KEYS:
        path = f"{node}.{key}"
        text = side.text_at(path)
        if text is not None:
            return side.value(path, text)
    return None


def _account_moves(
    old: Lines, new: Lines, rem: dict[str, str], add: dict[str, str], same: set[str], moves: list[tuple[str, str]]
) -> tuple[dict[str, str], dict[str, str], int]:
    """Re-read the per-path facts now that moved subtrees belong to their moves.

    A field under a move's source left with the move; if the new config has a field at
    that path outside any move, that field is an addition, even when its text equals the
    old one (the old subtree moved away and another took its place); and the reverse.
    Returns what is left to report as removed and added, and how many fields that were
    counted unchanged belong to a move instead.
    """
    gone_old = {path_of(line) for p, _ in moves for line in old.range(p)}
    gone_new = {path_of(line) for _, q in moves for line in new.range(q)}
    rem_left = {p: t for p, t in rem.items() if p not in gone_old}
    add_left = {p: t for p, t in add.items() if p not in gone_new}
    lost = 0
    for path in gone_old ^ gone_new:
        in_old = path in gone_old or old.count_path(path) > 0
        in_new = path in gone_new or new.count_path(path) > 0
        if in_old and in_new and (path not in rem or path in same):
            lost += 1
        if path in gone_new and in_old:
            rem_left[path] = rem[path] if path in rem else _only_text(old, path)
        if path in gone_old and in_new:
            add_left[path] = add[path] if path in add else _only_text(new, path)
    for path in gone_old & gone_new:
        lost += path not in rem or path in same
    return rem_left, add_left, lost


def _only_text(side: Lines, path: str) -> str:
    """The value text at ``path``, which stands on one line of ``side`` (else it is malformed)."""
    text = side.text_at(path)
    if text is None:
        side.raise_malformed()
    return text


# -- moves -----------------------------------------------------------------------------


def _find_moves(old: Lines, new: Lines, removed: Iterable[str], added: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs (old prefix, new prefix) of subtrees that moved, given the paths whose lines differ."""
    old_cands = _candidates(old, new, removed)
    new_cands = _candidates(new, old, added)
    if not old_cands or not new_cands:
        return []
    moves: list[tuple[str, str]] = []
    _match(old, new, old_cands, new_cands, moves)
    return moves


def _candidates(side: Lines, other: Lines, dirty: Iterable[str]) -> set[str]:
    """Subtrees of ``side`` that may have moved: list items holding a difference, and
    the outermost nodes the other side lacks entirely."""
    found: set[str] = set()
    absent: dict[str, bool] = {}
    for path in dirty:
        for prefix in prefixes(path):
            missing = absent.get(prefix)
            if missing is None:
                missing = absent[prefix] = not other.size(prefix)
            if missing or _ITEM.search(prefix):
                found.add(prefix)
            if missing:
                break  # deeper prefixes are inside this absent node
    return {p for p in found if side.size(p) >= _MIN_MOVE_FIELDS}


def _outermost(cands: Iterable[str]) -> list[str]:
    cands = set(cands)
    return sorted((c for c in cands if not any(p in cands for p in prefixes(c))), key=sort_key)


def _content(side: Lines, prefix: str) -> tuple[str, ...]:
    n = len(prefix)
    return tuple(line[n:] for line in side.range(prefix))


def _similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


def _match(old: Lines, new: Lines, old_cands: set[str], new_cands: set[str], moves: list[tuple[str, str]]) -> None:
    """Pair the outermost candidates: equal content first, then the same path when
    similar, then the most similar; recurse into the subtrees that stay in place."""
    o_top, n_top = _outermost(old_cands), _outermost(new_cands)
    by_content: dict[tuple[str, ...], list[str]] = {}
    for q in n_top:
        by_content.setdefault(_content(new, q), []).append(q)
    o_left: list[str] = []
    n_left = set(n_top)
    for p in o_top:
        q = next((q for q in by_content.get(_content(old, p), ()) if q in n_left), None)
        if q is None:
            o_left.append(p)
        else:
            moves.append((p, q))
            n_left.discard(q)

    in_place: list[str] = []
    o_rest: list[str] = []
    for p in o_left:
        if p in n_left and _similarity(set(_content(old, p)), set(_content(new, p))) >= _SIMILAR:
            in_place.append(p)
            n_left.discard(p)
        else:
            o_rest.append(p)
    n_rest = sorted(n_left, key=sort_key)
    if o_rest and n_rest and len(o_rest) * len(n_rest) <= _MAX_FUZZY_PAIRS:
        new_sets = [set(_content(new, q)) for q in n_rest]
        scored = []
        for i, p in enumerate(o_rest):
            a = set(_content(old, p))
            for j, b in enumerate(new_sets):
                s = _similarity(a, b)
                if s >= _SIMILAR:
                    scored.append((-s, i, j))
        scored.sort()
        taken_o: set[int] = set()
        taken_n: set[int] = set()
        for _, i, j in scored:
            if i not in taken_o and j not in taken_n:
                taken_o.add(i)
                taken_n.add(j)
                moves.append((o_rest[i], n_rest[j]))
        o_rest = [p for i, p in enumerate(o_rest) if i not in taken_o]
        n_rest = [q for j, q in enumerate(n_rest) if j not in taken_n]

    # Unpaired subtrees whose path the other side still has (and did not move away)
    # were rewritten in place: look for moves inside them.
    moved = _Related(p for move in moves for p in move)
    for p in {*o_rest, *n_rest}:
        if new.size(p) and old.size(p) and not moved.related(p):
            in_place.append(p)
    inner_old = _under_each(old_cands, in_place)
    inner_new = _under_each(new_cands, in_place)
    for p in in_place:
        if inner_old.get(p) and inner_new.get(p):
            _match(old, new, inner_old[p], inner_new[p], moves)


class _Related:
    """Answers "is this path inside, or around, one of these paths?" without a scan."""

    def __init__(self, paths_: Iterable[str]) -> None:
        self.paths = set(paths_)
        self.around = {a for p in self.paths for a in prefixes(p)}

    def related(self, path: str) -> bool:
        return path in self.paths or path in self.around or any(a in self.paths for a in prefixes(path))


def _under_each(cands: Iterable[str], roots: Iterable[str]) -> dict[str, set[str]]:
    """The candidates strictly inside each root, by root."""
    roots = set(roots)
    found: dict[str, set[str]] = {}
    for c in cands:
        root = next((a for a in prefixes(c) if a in roots), None)
        if root is not None:
            found.setdefault(root, set()).add(c)
    return found


# -- groups ----------------------------------------------------------------------------


def _groups(d: Diff, old: Lines, new: Lines, moves: list[tuple[str, str]]) -> list[Group]:
    """Find the nodes whose differences read as one change; each field joins the outermost."""
    if len(d.changed) + len(d.added) + len(d.removed) < 2:
        return []
    added = {f.path: f for f in d.added}
    removed = {f.path: f for f in d.removed}
    heads: dict[str, tuple[str, Any, Any]] = {}
    for f in d.changed:
        if last_segment(f.path) in TARGET_KEYS:
            heads.setdefault(parent(f.path), ("target", f.old, f.new))
    for kind, here, there, other, gone in (
        ("added", added, removed, old, [p for p, _ in moves]),
        ("removed", removed, added, new, [q for _, q in moves]),
    ):
        for path in here:
            for prefix in prefixes(path):
                if prefix in there:  # the other side has a leaf where this side has a node
                    heads.setdefault(prefix, ("replaced", None, None))
                    break
                if not _live(other, prefix, gone):
                    heads.setdefault(prefix, (kind, None, None))
                    break

    members: dict[str, list[Field]] = {}
    for f in (*d.changed, *d.added, *d.removed):
        for owner in ("", *prefixes(f.path), f.path):
            if owner in heads and (owner != f.path or heads[owner][0] == "replaced"):
                members.setdefault(owner, []).append(f)
                break

    groups = []
    for path, fields in members.items():
        kind, old_head, new_head = heads[path]
        if len(fields) < 2:
            continue  # one field is its own entry
        if kind != "target":
            old_head, new_head = _headline(path, fields, removed, Removed), _headline(path, fields, added, Added)
        fields.sort(key=lambda f: sort_key(f.path))
        groups.append(Group(kind, path, old_head, new_head, tuple(fields)))
    return groups


def _live(side: Lines, prefix: str, gone: list[str]) -> bool:
    """Whether ``side`` has a field at or under ``prefix`` that did not move away."""
    size = side.size(prefix)
    if not gone or not size:
        return bool(size)
    if any(is_under(prefix, g) for g in gone):
        return False
    # A node whose items moved (within it or elsewhere) still stands as a container.
    return any(g != prefix and is_under(g, prefix) for g in gone) or size > 0


def _headline(path: str, fields: list[Field], side_fields: Mapping[str, Field], kind: type) -> Any:
    """One side of a node group's headline: its leaf value, a Node, or None (absent)."""
    if path in side_fields:
        return side_fields[path].value
    mine = [f for f in fields if isinstance(f, kind)]
    if not mine:
        return None
    target = next((f.value for f in mine if parent(f.path) == path and last_segment(f.path) in TARGET_KEYS), None)
    return Node(target, len(mine))


# -- element-level detail for container values ----------------------------------------


def element_diff(old: Any, new: Any) -> Diff | None:
    """For two list/tuple/dict values of the same type, what differs inside them.

    ``[1, 2, 3] -> [1, 5, 3]`` gives ``[1]: 2 -> 5``; None for anything else.
    """
    if type(old) is not type(new) or not isinstance(old, (list, tuple, dict)):
        return None
    try:
        return diff(canonical.flatten(old), canonical.flatten(new))
    except canonical.CanonicalError:
        return None
