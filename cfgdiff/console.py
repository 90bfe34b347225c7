"""The ``cfgdiff`` console script, and the parts of the command line that need no click.

The commands typed most, ``cfgdiff OLD NEW`` and ``cfgdiff show SOURCE`` with no options,
run from here without importing click: its import is 11 of the 65 ms that comparing two
45,000-field files takes end to end. Every other command line goes to
:data:`cfgdiff.cli.main`. Both ways print :func:`diff_report` or :func:`show_report` and
report errors with :func:`error_line`, so they write the same bytes and exit with the
same code (the tests run every plain command line both ways).
"""

from __future__ import annotations

import codecs
import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cfgdiff.errors import CfgdiffError

if TYPE_CHECKING:
    from cfgdiff.labels import Labeler

#: Failures that are the user's input or environment, not a bug: one line, exit code 2.
#: Anything else is a bug in cfgdiff and keeps its traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (CfgdiffError, OSError)

#: The commands of :data:`cfgdiff.cli.main`: a first argument naming one is not a SOURCE.
COMMANDS = frozenset(
    {"blame", "compare", "diff", "explain", "git-setup", "golden", "hooks", "list", "plot", "review", "run", "sample", "show"}
)


def entry() -> None:
    """The ``cfgdiff`` console script (and ``python -m cfgdiff``), in its own process."""
    # What started the process (the interpreter, these modules: some 100,000 objects)
    # lives until it exits; frozen, the collector never scans it again, at exit included.
    # A 45,000-field diff takes 5 ms less.
    gc.freeze()
    run(sys.argv[1:])


def run(args: Sequence[str]) -> None:
    """Run the command line ``args`` (without the program name); exits with its exit code."""
    command = plain_command(args)
    if command is not None:
        sys.exit(_run_plain(command))
    from cfgdiff.cli import main

    main(list(args), prog_name="cfgdiff")


def plain_command(args: Sequence[str]) -> Callable[[], tuple[str, int]] | None:
    """What to run without click for the command line ``args`` (its output and exit code),
    or None where click runs it.

    The plain command lines are ``OLD NEW`` and ``show SOURCE``, without options, on
    streams that take any text (on one that claims to be ASCII, click writes UTF-8).
    """
    if any(arg.startswith("-") for arg in args) or any(_is_ascii(stream) for stream in (sys.stdout, sys.stderr)):
        return None
    if len(args) == 2 and args[0] == "show":
        return lambda: (show_report(args[1]), 0)
    if len(args) == 2 and args[0] not in COMMANDS:
        return lambda: diff_report(*args)
    return None


def _is_ascii(stream: Any) -> bool:
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii"
    except LookupError:
        return False


def _run_plain(command: Callable[[], tuple[str, int]]) -> int:
    """Run a plain command as click would, without it; the exit code."""
    try:
        text, code = command()
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # a reader that stopped early (| head): quiet, as click is
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the flush at exit must not fail again
        return 1
    except USER_ERRORS as e:
        print(f"cfgdiff: error: {error_line(e)}", file=sys.stderr)
        return getattr(e, "exit_code", 2)
    except KeyboardInterrupt:
        print("\nAborted!", file=sys.stderr)
        return 1
    return code


def error_line(error: BaseException) -> str:
    """A user error as the one line printed after ``cfgdiff: error:``."""
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}"
    text = str(error) or type(error).__name__
    if isinstance(error, KeyError) and len(error.args) == 1:
        text = str(error.args[0])
    return " ".join(text.split("\n"))


def use_color(choice: str, stream: Any = None) -> bool:
    """Whether to colour output for ``--color choice`` on ``stream`` (stdout by default)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    stream = sys.stdout if stream is None else stream
    return hasattr(stream, "isatty") and stream.isatty()


def project_labeler(start: str | os.PathLike, fail_on: Sequence[str] = ()) -> Labeler:
    """The project's label rules (``--fail-on`` checked against them), its impact modules loaded."""
    from cfgdiff import impact
    from cfgdiff.labels import Labeler

    labeler = Labeler.for_project(start)
    labeler.check(fail_on)
    impact.load_project(start)
    return labeler


def diff_report(
    old: str,
    new: str,
    *,
    fmt: str = "text",
    stat: bool = False,
    quiet: bool = False,
    ignore: Sequence[str] = (),
    only: str | None = None,
    title: str | None = None,
    fail_on: Sequence[str] = (),
    color: str = "auto",
) -> tuple[str, int]:
    """What ``cfgdiff diff OLD NEW`` prints with these options, and its exit code."""
    from cfgdiff import sources
    from cfgdiff.diff import diff

    labeler = project_labeler(".", fail_on)
    result = labeler.annotate(diff(sources.read(old), sources.read(new), ignore=ignore, only=only, impact=not quiet))
    code = 1 if (labeler.fails(result, fail_on) if fail_on else result) else 0
    if quiet:
        return "", code
    from cfgdiff import render

    outcomes = None
    if os.path.isdir(old) and os.path.isdir(new):  # two run directories: what each achieved heads the diff
        from cfgdiff import runs

        outcomes = [runs.read_outcome(old), runs.read_outcome(new)]  # sources.read refused a folder without config.txt
    colored = use_color(color) and fmt == "text"
    if stat:
        return render.render_stat(result, color=colored), code
    if fmt == "markdown":
        return render.render_markdown(result, title=title, outcomes=outcomes), code
    if fmt == "json":
        return render.render_json(result, outcomes=outcomes), code
    return render.render_text(result, color=colored, outcomes=outcomes), code


def show_report(source: str, *, non_default: bool = False, color: str = "auto") -> str:
    """What ``cfgdiff show SOURCE`` prints: its canonical text (with ``non_default``, only
    the fields the code set), highlighted where ``color`` says."""
    from cfgdiff import sources

    if non_default:
        from cfgdiff import blame

        text = blame.format_non_default(sources.resolve(source))
    else:
        text = sources.canonical_text(source)
    if use_color(color):
        from cfgdiff.render import highlight_canonical

        text = highlight_canonical(text, color=True)
    return text
