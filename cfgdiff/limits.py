"""Input limits: how much of a file cfgdiff reads before it refuses, in one table.

Every reader checks its input against this table: canonical text (:mod:`cfgdiff.canonical`,
:mod:`cfgdiff.lines`), JSON/TOML/YAML documents (:mod:`cfgdiff.sources`) and field paths
(:mod:`cfgdiff.paths`). So a broken or hostile file costs bounded time and memory and is
refused as one line (:class:`LimitError`, which the readers prefix with FILE:LINE or the
field path), never a RecursionError, a MemoryError or a process that does not finish.

=====================  =========  ===========================================================
limit                  value      what happens beyond it
=====================  =========  ===========================================================
MAX_DEPTH              100        a document nested deeper, or a path with more segments,
                                  is refused
MAX_LITERAL_CHARS      100,000    a value longer than this (other than one string) is kept
                                  as text and compared as text, never parsed: parsing a
                                  literal costs ~300x its size in memory
MAX_INT_DIGITS         4,300      a longer integer is refused (Python's own limit for
                                  writing an int as text, so every value read can be shown)
MIN_DOCUMENT_FIELDS    10,000     a document may expand to max(this, its size in bytes)
                                  fields; more can only come from YAML aliases (an "alias
                                  bomb"), and is refused as soon as the count passes it
=====================  =========  ===========================================================
"""

from __future__ import annotations

from typing import Any

from cfgdiff.errors import CfgdiffError

MAX_DEPTH = 100
MAX_LITERAL_CHARS = 100_000
MAX_INT_DIGITS = 4_300
MIN_DOCUMENT_FIELDS = 10_000

# An int with at most this many bits has at most MAX_INT_DIGITS decimal digits.
_MAX_INT_BITS = MAX_INT_DIGITS * 33219 // 10000  # log2(10) = 3.3219...


class LimitError(CfgdiffError, ValueError):
    """Input beyond one of the limits above; readers add FILE:LINE or the field path."""


class NotALiteral(ValueError):
    """Text :func:`literal` cannot read as a literal; readers keep it as text."""


def check_int(value: int) -> int:
    """``value``, or LimitError when it has more than MAX_INT_DIGITS digits."""
    if value.bit_length() > _MAX_INT_BITS and abs(value) >= 10**MAX_INT_DIGITS:
        raise LimitError(f"an integer of more than {MAX_INT_DIGITS:,} digits")
    return value


def check_depth(depth: int) -> None:
    """LimitError when a document or path is nested ``depth`` levels deep, past MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise LimitError(f"nested more than {MAX_DEPTH} levels deep")


def max_document_fields(size: int) -> int:
    """How many fields a document of ``size`` bytes may expand to."""
    return max(MIN_DOCUMENT_FIELDS, size)


def literal(text: str) -> Any:
    """A Python literal read from ``text`` without running code, within the limits.

    Raises NotALiteral for text that is not a literal (or too long to parse, see
    MAX_LITERAL_CHARS), LimitError for an integer past MAX_INT_DIGITS.
    """
    if len(text) > MAX_LITERAL_CHARS and text[:1] not in ("'", '"', "b"):
        raise NotALiteral("too long to parse")
    import ast  # here: most values are read by canonical's regular expressions, not the parser

    try:
        value = ast.literal_eval(text)
    except SyntaxError as e:
        if "integer string conversion" in str(e):  # a decimal literal past Python's limit
            raise LimitError(f"an integer of more than {MAX_INT_DIGITS:,} digits") from None
        raise NotALiteral("not a literal") from None
    except (ValueError, TypeError, RecursionError, MemoryError):
        # The parser gives up on deep nesting (RecursionError, or MemoryError for its own
        # stack); the text is not a literal cfgdiff can read.
        raise NotALiteral("not a literal") from None
    _check_ints(value)
    return value


def _check_ints(value: Any) -> None:
    # Hex, octal and binary literals have no length limit of their own. Nesting here is
    # bounded by the parser (at most 200 levels of brackets).
    kind = type(value)
    if kind is int:
        check_int(value)
    elif kind in (list, tuple, set):
        for item in value:
            _check_ints(item)
    elif kind is dict:
        for key, item in value.items():
            _check_ints(key)
            _check_ints(item)
