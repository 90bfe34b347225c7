"""The one error base class: a :class:`CfgdiffError` is the user's to fix, anything else is a bug.

The command line prints a ``CfgdiffError`` as one line on stderr and exits with its
``exit_code`` (2, "trouble", like diff(1)); any other exception is a real bug and keeps its
traceback. So every module raises a subclass of this for bad input (a missing file, a
malformed line, an unknown field, a recipe that fails to build), with a message that names
the file, line or field path and, where it can, says what to type instead.
"""

from __future__ import annotations

from collections.abc import Iterable


class CfgdiffError(Exception):
    """A failure caused by the user's input or environment, reported as one line."""

    #: The process exit code the command line uses for this error.
    exit_code: int = 2


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'closest'?)`` for a mistyped ``name`` among ``choices``, or ''."""
    import difflib  # only a typo needs it

    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
