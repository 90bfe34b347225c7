"""Running git: every git command cfgdiff runs goes through here.

So there is one place that finds git missing or failing and says so in one line.
"""

from __future__ import annotations

import os
import subprocess

from cfgdiff.errors import CfgdiffError


class GitError(CfgdiffError, ValueError):
    """git is missing or a git command failed; the message is one line."""


def run(cwd: str | os.PathLike, *args: str, text: bool = True, input: bytes | str | None = None) -> subprocess.CompletedProcess:
    """Run ``git ARGS`` in ``cwd`` (``input`` on its stdin); the finished process whatever its exit code."""
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=text, input=input, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed; cfgdiff needs it for revisions, hooks and review") from None


def output(cwd: str | os.PathLike, *args: str, what: str | None = None) -> str:
    """The output of ``git ARGS`` without its final newline.

    A failure raises GitError with ``what``, or else git's own last line of complaint.
    """
    proc = run(cwd, *args)
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        raise GitError(what or f"git {args[0]}: {detail}")
    return proc.stdout.rstrip("\n")
