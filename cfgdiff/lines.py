"""Canonical lines: one config as sorted ``path: value`` lines, and how paths are spelled.

The diff works on lines rather than parsed values: two files are compared as sorted lists
of lines, so equal lines are never parsed, and a subtree is a run of the sorted lines
(bisect, no scan). This module reads text into :class:`Lines` as cheaply as it can (two
versions of one config are compared chunk by chunk first, :func:`pair`), finds the lines
only one side has (:func:`only`), and splits paths into segments without a regular
expression (:func:`prefixes` and friends).
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cfgdiff import canonical, limits, paths
from cfgdiff.canonical import FlatConfig, ParseError, Raw, Text, format_value, parse_value


# -- one config's lines ----------------------------------------------------------------


class Lines:
    """The canonical lines of one config, sorted, with the lookups a diff needs.

    ``lines`` are ``path: value`` lines (comments and blanks dropped); ``values`` holds
    exact values where the side came from a FlatConfig, else values are parsed on demand.
    Subtree lookups bisect the sorted lines: the lines under ``p`` are those starting
    with ``p.``, ``p[``, ``p/`` or ``p: ``, each a contiguous run.

    Two sides read by :func:`pair` hold the lines they have in common as one ``shared``
    list, split and sorted once; each side's own lines are the rest. Lookups search both.
    """

    def __init__(self, lines: list[str], source: str, values: Mapping[str, Any] | None = None, text: str | None = None,
                 *, presorted: bool = False, shared: list[str] | None = None):
        if not presorted:  # sorting sorted lines still compares every neighbour: 30 ms for 500,000
            lines.sort()
        self.own = lines
        self.shared = shared
        self.source = source
        self._values = values
        self._text = text
        self._all: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        """All the lines, sorted (merged on first use when some are shared)."""
        if self.shared is None:
            return self.own
        if self._all is None:
            self._all = sorted(self.shared + self.own)  # two sorted runs: one merge
        return self._all

    def __len__(self) -> int:
        return len(self.own) + (len(self.shared) if self.shared is not None else 0)

    @classmethod
    def from_text(cls, text: str, source: str) -> Lines:
        """Read canonical text, checking it only as far as is cheap (see :func:`_content`)."""
        lines = _content(text.split("\n")) if _plain(text) else None
        if lines is None:
            # Something unusual: the exact reader normalises the lines or raises
            # ParseError with the line number.
            return cls(_exact_lines(text, source), source, text=text)
        return cls(lines, source, text=text, presorted=True)

    @classmethod
    def of(cls, value: Any, default_source: str) -> Lines:
        """The lines of a :class:`FlatConfig`, a :class:`Text`, canonical text as a ``str``
        (labelled ``default_source``), a file as an ``os.PathLike``, or a config tree."""
        if isinstance(value, FlatConfig):
            return cls.from_flat(value)
        text = _text_of(value, default_source)
        if text is not None:
            return cls.from_text(*text)
        return cls.from_flat(canonical.flatten(value))

    @classmethod
    def from_flat(cls, flat: FlatConfig) -> Lines:
        """The lines of a FlatConfig, keeping its exact values."""
        lines = [f"{path}: {format_value(value)}" for path, value in flat.items()]
        return cls(lines, getattr(flat, "source", "<config>"), values=flat)

    def filtered(self, keep: Any) -> Lines:
        """Only the lines whose path ``keep(path)`` accepts."""
        lines = [line for line in self.lines if keep(path_of(line))]
        return Lines(lines, self.source, self._values, self._text, presorted=True)

    def sub(self, prefix: str) -> Lines:
        """The subtree under ``prefix``, with paths relative to it."""
        n = len(prefix)
        values = None if self._values is None else _Prefixed(self._values, prefix)
        return Lines([line[n:] for line in self.range(prefix)], self.source, values)

    def fields(self, lines: Iterable[str]) -> dict[str, str]:
        """``{path: value text}`` of some of these lines (those that differ); a line that is not
        ``path: value``, or a path given twice, is a malformed file (:meth:`raise_malformed`)."""
        out: dict[str, str] = {}
        for line in lines:
            path, sep, text = line.partition(": ")
            if not sep and line.endswith(":"):
                path = line[:-1]  # AXLearn's ``path:`` (an empty value)
            if (not sep and path == line) or path in out or not path or path != path.strip():
                self.raise_malformed()
            out[path] = text
        return out

    def value(self, path: str, text: str) -> Any:
        """The value at ``path``, whose line reads ``text`` after the ``: ``."""
        if self._values is not None:
            return self._values[path]
        try:
            return parse_value(text) if text else Raw("")
        except limits.LimitError:  # an integer past the limit: the exact reader names FILE:LINE
            self.raise_malformed()
            raise

    def _spans(self, prefix: str, subtree: bool = True) -> list[tuple[list[str], int, int]]:
        """The runs of lines at ``prefix`` (``p: v``, or AXLearn's ``p:``) and, for a
        ``subtree``, under it (``p.``, ``p/``, ``p[``), as ``(lines, start, end)``."""
        # Each run lies between two bounds, in sorted order: "." and "/" are neighbours, then
        # "0"; ":" then ":!" holds "p:" and "p: ..."; "[" then "\\".
        at = (prefix + ":", prefix + ":!")
        bounds = ((prefix + ".", prefix + "0"), at, (prefix + "[", prefix + "\\")) if subtree else (at,)
        spans = []
        for lines in (self.own,) if self.shared is None else (self.shared, self.own):
            for start, end in bounds:
                i = bisect.bisect_left(lines, start)
                j = bisect.bisect_left(lines, end, i)
                if j > i:
                    spans.append((lines, i, j))
        return spans

    def range(self, prefix: str) -> list[str]:
        """The lines at ``prefix`` and under it, sorted."""
        found = [line for lines, i, j in self._spans(prefix) for line in lines[i:j]]
        if self.shared is not None:
            found.sort()
        return found

    def size(self, prefix: str) -> int:
        """How many fields stand at or under ``prefix``."""
        return sum(j - i for _, i, j in self._spans(prefix))

    def count_path(self, path: str) -> int:
        """How many lines give exactly ``path`` (more than one is a malformed file)."""
        return sum(j - i for _, i, j in self._spans(path, subtree=False))

    def text_at(self, path: str) -> str | None:
        """The value text of the one line that gives ``path`` ('' for a ``path:`` line);
        None when no line gives it, or several do."""
        spans = self._spans(path, subtree=False)
        if len(spans) != 1 or spans[0][2] - spans[0][1] != 1:
            return None
        lines, i, _ = spans[0]
        return lines[i].partition(": ")[2]

    def raise_malformed(self) -> None:
        """Report a malformed line (or a path given twice) found while diffing, with its line number."""
        if self._text is not None:
            canonical.loads(self._text, self.source)
        raise ParseError(f"{self.source}: a field path appears twice or is malformed")


class _Prefixed(Mapping):
    """A view of a values mapping under a path prefix, keyed by relative path."""

    def __init__(self, values: Mapping[str, Any], prefix: str) -> None:
        self._values, self._prefix = values, prefix

    def __getitem__(self, path: str) -> Any:
        return self._values[self._prefix + path]

    def __iter__(self) -> Iterator[str]:
        n = len(self._prefix)
        return (p[n:] for p in self._values if is_under(p, self._prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _text_of(value: Any, default_source: str) -> tuple[str, str] | None:
    """``(text, source)`` of a Text, a str or a file; None for a config."""
    if isinstance(value, Text):
        return value.text, value.source
    if isinstance(value, str):
        return value, default_source
    if isinstance(value, os.PathLike):
        return canonical.read_file(value), os.fspath(value)
    return None


_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e"


def _plain(text: str) -> bool:
    """Whether ``text`` is ASCII and breaks lines only at ``\\n`` (else the exact reader reads it)."""
    return text.isascii() and not any(c in text for c in _LINE_BREAKS)


def _content(lines: list[str]) -> list[str] | None:
    """The ``path: value`` lines among ``lines`` (of plain text), sorted in place; None
    when the text needs the exact reader (indented or whitespace-only lines, AXLearn's
    ``=====`` section lines, or anything the checks below find wrong).

    Sorting does the filtering without a Python loop: blank and indented lines sort
    before ``!``, comments between ``#`` and ``$``, section lines between ``=`` and ``>``.
    Lines that both sides share are counted and compared as text, never parsed; every
    differing line is checked.
    """
    lines.sort()
    low = bisect.bisect_left(lines, "!")
    if any(lines[:low]):  # not just empty lines: whitespace, or an indented path
        return None
    hash_start = bisect.bisect_left(lines, "#", low)
    hash_end = bisect.bisect_left(lines, "$", hash_start)
    del lines[hash_start:hash_end]  # in place: a copy of 500,000 lines costs more than the diff
    del lines[:low]
    if bisect.bisect_left(lines, ">") > bisect.bisect_left(lines, "="):
        return None  # section lines scope the paths after them: only the exact reader knows
    # A sample catches text that is not canonical at all, at a negligible cost; lines both
    # sides share are checked in full only when nothing differs (see check_unchanged).
    if not all(": " in line for line in lines[:: max(1, len(lines) // 500)]):
        return None
    return lines


def check_unchanged(old: Lines, new: Lines) -> None:
    """Check sides whose lines are all the same in full, as ``canonical.loads`` would.

    A diff reads only the lines that differ; when none do, the answer "no differences"
    must still mean both are configs (``cfgdiff X X`` refuses a malformed X).
    """
    if old._text is not None:
        canonical.loads(old._text, old.source)
    if new._text is not None and new._text != old._text:
        canonical.loads(new._text, new.source)


def _exact_lines(text: str, source: str) -> list[str]:
    """Validate text line by line exactly as ``canonical.loads`` does; return normalised lines."""
    canonical.loads(text, source)
    return canonical.field_lines(text)


# -- two sides: the lines they share ---------------------------------------------------

#: Texts are compared in chunks of about this many characters (whole lines).
_CHUNK = 16_384
#: How often :func:`_align` may search the whole rest of the new text for an anchor line.
_MAX_SCANS = 8


def pair(old: Any, new: Any) -> tuple[Lines, Lines]:
    """The lines of two sides (anything :meth:`Lines.of` takes) for a diff.

    Two texts are compared chunk by chunk first: the chunks they have in common are split
    into lines and sorted once, as ``shared``, and only the chunks around a difference
    become each side's own lines. Two versions of a 45,000-field config that differ in a
    few fields thus cost one split, not two, and :func:`differing` merges a few lines.
    """
    old_text, new_text = _text_of(old, "<old>"), _text_of(new, "<new>")
    if old_text is None or new_text is None or not (_plain(old_text[0]) and new_text[0].isascii()):
        old_side = Lines.from_text(*old_text) if old_text is not None else Lines.of(old, "<old>")
        new_side = Lines.from_text(*new_text) if new_text is not None else Lines.of(new, "<new>")
        return old_side, new_side
    (a, old_source), (b, new_source) = old_text, new_text
    shared, old_rest, new_rest = _align(a, b)
    shared_lines = _content(shared)
    old_lines = _content("".join(old_rest).split("\n"))
    new_rest_text = "".join(new_rest)
    new_lines = _content(new_rest_text.split("\n")) if _plain(new_rest_text) else None
    if shared_lines is None or old_lines is None or new_lines is None:
        return Lines.from_text(a, old_source), Lines.from_text(b, new_source)
    return (Lines(old_lines, old_source, text=a, presorted=True, shared=shared_lines),
            Lines(new_lines, new_source, text=b, presorted=True, shared=shared_lines))


def differing(old: Lines, new: Lines) -> tuple[list[str], list[str]]:
    """The lines only ``old`` has and the lines only ``new`` has (see :func:`only`)."""
    if old.shared is not None and old.shared is new.shared:
        return only(old.own, new.own)
    return only(old.lines, new.lines)


def _align(old: str, new: str) -> tuple[list[str], list[str], list[str]]:
    """Cut two plain texts into whole lines found in both, in the same order, and the rest.

    Returns the shared lines (unsorted, blank lines included) and the other chunks of
    each text. Any cut is correct: a shared line stands on both sides, so the lines only
    one side has are all in the rests. Finding long shared runs only needs the texts to
    keep their order, as two versions of a config do: each chunk of ``old`` is looked for
    where the line after it (the anchor) says it is in ``new``.
    """
    shared: list[str] = []
    old_rest: list[str] = []
    new_rest: list[str] = []
    x = y = scans = 0
    n, m = len(old), len(new)
    while x < n and y < m:
        nx = x
        while True:
            nx = old.find("\n", nx + _CHUNK) + 1
            end = old.find("\n", nx) + 1 if nx else 0
            if not end:  # no whole line left to anchor on: the rest is one chunk
                nx, ny = n, m
                break
            anchor = old[nx:end]
            ny = y + (nx - x)  # where the anchor stands if nothing before it changed length
            if new.startswith(anchor, ny) and new[ny - 1] == "\n":
                break
            found = new.find("\n" + anchor, max(y - 1, 0), ny + 4 * _CHUNK)
            if found < 0 and scans < _MAX_SCANS:
                scans += 1
                found = new.find("\n" + anchor, max(y - 1, 0))
            if found >= 0:
                ny = found + 1
                break
            if scans >= _MAX_SCANS:
                nx, ny = n, m
                break
        chunk = old[x:nx]
        if nx - x == ny - y and new.startswith(chunk, y):
            shared.extend(chunk.split("\n"))
        else:
            other = new[y:ny]
            head, tail = _common_lines(chunk, other)
            shared.extend(chunk[:head].split("\n"))
            shared.extend(chunk[len(chunk) - tail :].split("\n"))
            old_rest.append(chunk[head : len(chunk) - tail])
            new_rest.append(other[head : len(other) - tail])
        x, y = nx, ny
    old_rest.append(old[x:])
    new_rest.append(new[y:])
    return shared, old_rest, new_rest


def _common_lines(a: str, b: str) -> tuple[int, int]:
    """How many characters of whole lines ``a`` and ``b`` start with and end with alike
    (not overlapping); both end at a line end or at the end of their text."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # a[:lo] == b[:lo]; halving with in-place comparisons
        mid = (lo + hi + 1) // 2
        if a.startswith(b[lo:mid], lo):
            lo = mid
        else:
            hi = mid - 1
    head = a.rfind("\n", 0, lo) + 1
    lo, hi = 0, min(len(a), len(b)) - head
    while lo < hi:  # a[-lo:] == b[-lo:]
        mid = (lo + hi + 1) // 2
        if a.endswith(b[len(b) - mid : len(b) - lo], 0, len(a) - lo):
            lo = mid
        else:
            hi = mid - 1
    start_a, start_b = len(a) - lo, len(b) - lo
    if (start_a == 0 or a[start_a - 1] == "\n") and (start_b == 0 or b[start_b - 1] == "\n"):
        return head, lo
    # Else the alike end is whole lines from the first line break inside it.
    newline = a.find("\n", start_a)
    return head, (len(a) - newline - 1 if newline >= 0 else 0)


# -- path structure --------------------------------------------------------------------


def segment_starts(path: str) -> list[int]:
    """Where each segment after the first begins: the index of its ``.``, ``[`` or ``/``.

    Dict keys are skipped as a whole (``['a.b']`` holds no boundary).
    """
    if "'" not in path and '"' not in path and "(" not in path:
        return [i for i, c in enumerate(path) if c in ".[/" and i > 0]
    starts, i, n = [], 0, len(path)
    while i < n:
        c = path[i]
        if c in "./" and i > 0:
            starts.append(i)
        elif c == "[":
            if i > 0:
                starts.append(i)
            i = _end_of_key(path, i + 1)
            continue
        i += 1
    return starts


def _end_of_key(path: str, i: int) -> int:
    """The index after the ``]`` closing a key that starts at ``i``."""
    depth, quote = 0, ""
    while i < len(path):
        c = path[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")}":
            depth -= 1
        elif c == "]":
            if depth == 0:
                return i + 1
            depth -= 1
        i += 1
    return i


def prefixes(path: str) -> list[str]:
    """The proper ancestors of a path, outermost first: ``a.b[0].c`` -> ``a``, ``a.b``, ``a.b[0]``."""
    return [path[:i] for i in segment_starts(path)]


def parent(path: str) -> str:
    """The path one segment up ('' for a top-level field)."""
    starts = segment_starts(path)
    return path[: starts[-1]] if starts else ""


def last_segment(path: str) -> str:
    """The last segment as written: ``a.b`` -> ``b``, ``a[0]`` -> ``[0]``."""
    starts = segment_starts(path)
    if not starts:
        return path.lstrip("./")
    tail = path[starts[-1] :]
    return tail[1:] if tail[0] in "./" else tail


def top_level(path: str) -> str:
    """The first segment: the subtree a path is counted under (``mesh_rules[7][0]`` -> ``mesh_rules``)."""
    starts = segment_starts(path)
    return path[: starts[0]] if starts else path


def is_under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or inside it (at a segment boundary)."""
    if not prefix:
        return True
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] in ".[/")


def path_of(line: str) -> str:
    """The path of a canonical line (``path: value``, or AXLearn's ``path:``)."""
    path, sep, _ = line.partition(": ")
    return path if sep else line[:-1]


def sort_key(path: str) -> tuple:
    """Canonical path order, for relative paths (``.x``, ``[0]``) too."""
    return paths.sort_key(path.lstrip("."))


# -- the lines only one side has -------------------------------------------------------

_RUN = 256


def only(old: list[str], new: list[str]) -> tuple[list[str], list[str]]:
    """The lines only ``old`` has and the lines only ``new`` has; both lists are sorted.

    A merge that compares runs of lines as list slices (in C) and finds the first
    difference in a run by halving, so two files that differ in a few lines cost a few
    hundred slice comparisons and no Python step per line.
    """
    only_old: list[str] = []
    only_new: list[str] = []
    i = j = 0
    n, m = len(old), len(new)
    while i < n and j < m:
        run = min(_RUN, n - i, m - j)
        if old[i : i + run] == new[j : j + run]:
            i += run
            j += run
            continue
        lo, hi = 0, run  # the first ``lo`` lines agree; the first difference is before ``hi``
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if old[i + lo : i + mid] == new[j + lo : j + mid]:
                lo = mid
            else:
                hi = mid
        i += lo
        j += lo
        if old[i] < new[j]:
            only_old.append(old[i])
            i += 1
        else:
            only_new.append(new[j])
            j += 1
    only_old.extend(old[i:])
    only_new.extend(new[j:])
    return only_old, only_new
