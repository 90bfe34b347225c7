"""Canonical lines: one config as sorted ``path: value`` lines, and how paths are spelled.

The diff works on lines rather than parsed values: two files are compared as sorted lists
of lines, so equal lines are never parsed, and a subtree is a run of the sorted lines
(bisect, no scan). This module reads text into :class:`Lines` as cheaply as it can, finds
the lines only one side has (:func:`only`), and splits paths into segments without a
regular expression (:func:`prefixes` and friends).
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
    """

    def __init__(self, lines: list[str], source: str, values: Mapping[str, Any] | None = None, text: str | None = None,
                 *, presorted: bool = False):
        if not presorted:  # sorting sorted lines still compares every neighbour: 30 ms for 500,000
            lines.sort()
        self.lines = lines
        self.source = source
        self._values = values
        self._text = text

    @classmethod
    def from_text(cls, text: str, source: str) -> Lines:
        """Read canonical text, checking it only as far as is cheap (see :func:`_content_lines`)."""
        lines = _content_lines(text)
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
        if isinstance(value, Text):
            return cls.from_text(value.text, value.source)
        if isinstance(value, str):
            return cls.from_text(value, default_source)
        if isinstance(value, os.PathLike):
            with open(value, encoding="utf-8") as f:
                return cls.from_text(f.read(), os.fspath(value))
        canonical._register_optional_types()
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

    def _spans(self, prefix: str, seps: tuple[str, ...] = (".", "/", ": ", "[")) -> list[tuple[int, int]]:
        lines = self.lines
        spans = []
        bare = prefix + ":"  # AXLearn writes an empty value as ``path:``
        i = bisect.bisect_left(lines, bare)
        if i < len(lines) and lines[i] == bare:
            spans.append((i, i + 1))
        for sep in seps:
            start = prefix + sep
            end = start[:-1] + chr(ord(start[-1]) + 1)
            i = bisect.bisect_left(lines, start)
            j = bisect.bisect_left(lines, end, i)
            if j > i:
                spans.append((i, j))
        return spans

    def range(self, prefix: str) -> list[str]:
        """The lines at ``prefix`` and under it, sorted."""
        return [line for i, j in self._spans(prefix) for line in self.lines[i:j]]

    def size(self, prefix: str) -> int:
        """How many fields stand at or under ``prefix``."""
        return sum(j - i for i, j in self._spans(prefix))

    def count_path(self, path: str) -> int:
        """How many lines give exactly ``path`` (more than one is a malformed file)."""
        return sum(j - i for i, j in self._spans(path, (": ",)))

    def text_at(self, path: str) -> str:
        """The value text of the one line that gives ``path`` ('' for a ``path:`` line)."""
        ((i, _),) = self._spans(path, (": ",))
        return self.lines[i].partition(": ")[2]

    def raise_malformed(self) -> None:
        """Report a malformed line (or a path given twice) found while diffing, with its line number."""
        if self._text is not None:
            _exact_lines(self._text, self.source)
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


_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e"


def _content_lines(text: str) -> list[str] | None:
    """The ``path: value`` lines of canonical text, sorted; None when the text needs the
    exact reader (unusual line breaks, indented or whitespace-only lines, AXLearn's
    ``=====`` section lines, or anything the checks below find wrong).

    Sorting does the filtering without a Python loop: blank and indented lines sort
    before ``!``, comments between ``#`` and ``$``, section lines between ``=`` and ``>``.
    Lines that both sides share are counted and compared as text, never parsed; every
    differing line is checked.
    """
    if not text.isascii() or any(c in text for c in _LINE_BREAKS):
        return None
    lines = text.split("\n")
    lines.sort()
    low = bisect.bisect_left(lines, "!")
    if any(lines[:low]):  # not just empty lines: whitespace, or an indented path
        return None
    hash_start = bisect.bisect_left(lines, "#", low)
    hash_end = bisect.bisect_left(lines, "$", hash_start)
    del lines[hash_start:hash_end]  # in place: a copy of 500,000 lines costs more than the diff
    del lines[:low]
    content = lines
    if bisect.bisect_left(content, ">") > bisect.bisect_left(content, "="):
        return None  # section lines scope the paths after them: only the exact reader knows
    # A sample catches text that is not canonical at all, at a negligible cost; lines both
    # sides share are checked in full only when nothing differs (see check_unchanged).
    if not all(": " in line for line in content[:: max(1, len(content) // 500)]):
        return None
    return content


def check_unchanged(old: Lines, new: Lines) -> None:
    """Check sides whose lines are all the same in full, as ``canonical.loads`` would.

    A diff reads only the lines that differ; when none do, the answer "no differences"
    must still mean both are configs (``cfgdiff X X`` refuses a malformed X).
    """
    if old._text is not None:
        _exact_lines(old._text, old.source)
    if new._text is not None and new._text != old._text:
        _exact_lines(new._text, new.source)


def _exact_lines(text: str, source: str) -> list[str]:
    """Validate text line by line exactly as ``canonical.loads`` does; return normalised lines."""
    canonical.loads(text, source)
    return canonical.field_lines(text)


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
