"""Field paths: how a location in a config tree is spelled in canonical text.

A path is a sequence of segments: an attribute name (``model``), a list or tuple index
(``[3]``) or a dict key (``['eval']``, the key's ``repr``). Written out, attributes are
joined by ``.`` and the root has no leading dot: ``evalers['eval'].input.batch_size``.

Sorting is segment by segment with indices in numeric order, so ``layers[2]`` comes
before ``layers[10]`` and the order never depends on the hash seed.
"""

from __future__ import annotations

import re
from typing import Any, Union

from cfgdiff.errors import CfgdiffError

Segment = Union[str, int, "Key"]


class PathError(CfgdiffError, ValueError):
    """Text that is not a field path; the message quotes it and says where it goes wrong."""


class Key:
    """A dict key segment, kept with the ``repr`` that spells it."""

    __slots__ = ("key", "text")

    def __init__(self, key: Any, text: str | None = None) -> None:
        self.key = key
        self.text = repr(key) if text is None else text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Key) and self.text == other.text

    def __hash__(self) -> int:
        return hash(("Key", self.text))

    def __repr__(self) -> str:
        return f"Key({self.text})"


def join(prefix: str, segment: Segment) -> str:
    """Append one segment to a written path: ``join('a', 'b') == 'a.b'``, ``join('a', 0) == 'a[0]'``."""
    if isinstance(segment, int):
        return f"{prefix}[{segment}]"
    if isinstance(segment, Key):
        return f"{prefix}[{segment.text}]"
    return f"{prefix}.{segment}" if prefix else segment


def segment_sort_key(segment: Segment) -> tuple[int, Any]:
    """Order attributes by name, indices numerically, then dict keys by their repr."""
    if isinstance(segment, int):
        return (1, segment)
    if isinstance(segment, Key):
        # Written out, an int dict key looks like a list index; both must sort alike.
        return (1, int(segment.key)) if isinstance(segment.key, int) else (2, segment.text)
    return (0, segment)


_TOKEN = re.compile(
    r"""\.?([A-Za-z_][A-Za-z0-9_]*)"""  # attribute
    r"""|\[(-?\d+)\]"""  # index
    r"""|\[((?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\([^\]]*\)|[^\]]*))\]"""  # key
)


def split(path: str) -> list[Segment]:
    """Split a written path into segments; the inverse of :func:`join`.

    Raises PathError for text that is not a path. Keys are parsed as Python literals
    (never evaluated as code); a key that is not a literal keeps its text.
    """
    import ast

    segments: list[Segment] = []
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if not match or (pos == 0 and path.startswith(".")):
            raise PathError(f"not a field path: {path!r} (at character {pos + 1})")
        name, index, key = match.groups()
        if name is not None:
            if pos > 0 and path[pos] != ".":
                raise PathError(f"not a field path: {path!r} (at character {pos + 1})")
            segments.append(name)
        elif index is not None:
            segments.append(int(index))
        else:
            try:
                segments.append(Key(ast.literal_eval(key), key))
            except (ValueError, SyntaxError):
                segments.append(Key(key, key))
        pos = match.end()
    if not segments:
        raise PathError("empty field path")
    return segments


def sort_key(path: str) -> tuple:
    """The canonical sort key of a written path (for paths that do not split, the text)."""
    try:
        return tuple(segment_sort_key(s) for s in split(path))
    except ValueError:
        return ((3, path),)
