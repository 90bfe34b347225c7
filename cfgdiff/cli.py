"""The ``cfgdiff`` command line: a thin click layer over the library.

``cfgdiff OLD NEW`` is short for ``cfgdiff diff OLD NEW``. Exit codes follow diff(1):
0 same, 1 different, 2 trouble. Every expected failure is one line on stderr and exit
code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from cfgdiff.canonical import CanonicalError, ParseError
from cfgdiff.config import ConfigError

#: Failures that are the user's input, not a bug: reported as one line, exit code 2.
USER_ERRORS: tuple[type[BaseException], ...] = (ConfigError, CanonicalError, ParseError, OSError, LookupError, ValueError)


class DefaultGroup(click.Group):
    """A group whose first argument, when it is not a command, is handed to ``diff``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["diff", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as e:
            click.echo(f"cfgdiff: error: {_one_line(e)}", err=True)
            ctx.exit(2)


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}"
    text = str(error) or type(error).__name__
    if isinstance(error, KeyError) and len(error.args) == 1:
        text = str(error.args[0])
    return " ".join(text.split("\n"))


def color_option(fn: Any) -> Any:
    """``--color auto|always|never`` (auto: on a terminal, unless NO_COLOR is set)."""
    return click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Colour the output (NO_COLOR turns auto off).",
    )(fn)


def use_color(choice: str, stream: Any = None) -> bool:
    """Whether to colour output for ``--color choice`` on ``stream`` (stdout by default)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    stream = sys.stdout if stream is None else stream
    return hasattr(stream, "isatty") and stream.isatty()


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cfgdiff")
def main() -> None:
    """Compare training configs field by field.

    \b
      cfgdiff OLD NEW            what changed between two configs
      cfgdiff show SOURCE        a config's canonical text

    A SOURCE is a canonical text file (AXLearn golden files too), a .json/.toml/.yaml
    file, a run directory holding config.txt, REV:PATH (a file at a git revision), a
    recipe name, REV:RECIPE, or package.module:function.
    Exit codes: 0 same, 1 different, 2 trouble.
    """


# Commands are added below, one section per domain; each is a thin wrapper over a library call.
