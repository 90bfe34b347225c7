"""Make ``git diff`` and ``git log -p`` show golden files field by field.

Git runs a *textconv* command on both sides of a file before diffing when the file's
``diff`` attribute names a driver that has one. :func:`setup` adds, idempotently:

* ``diff.cfgdiff.textconv = cfgdiff show --textconv`` to the repository's ``.git/config``
  (``cfgdiff show`` prints sorted canonical text; ``--textconv`` prints input it cannot
  read unchanged, so a broken file never breaks ``git diff``);
* ``<pattern> diff=cfgdiff`` to ``.gitattributes`` at the repository root.

Textconv changes only what git prints: ``git diff --exit-code`` still compares the bytes.
:func:`undo` removes both. A clone without the driver configured ignores the attribute
and diffs the files as plain text.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

from cfgdiff import git
from cfgdiff.canonical import write_text_atomic

DRIVER = "cfgdiff"
ATTRIBUTE = f"diff={DRIVER}"
DEFAULT_PATTERN = "golden_configs/*.txt"


def repository_root(start: str | Path = ".") -> Path:
    """The top folder of the git work tree containing ``start``."""
    where = f"{Path(start).resolve()}: not inside a git work tree"
    return Path(git.output(Path(start), "rev-parse", "--show-toplevel", what=where))


def textconv_command() -> str:
    """The shell command git runs as textconv: ``cfgdiff`` on PATH, else this Python."""
    if shutil.which("cfgdiff"):
        return "cfgdiff show --textconv"
    return f"{shlex.quote(sys.executable)} -m cfgdiff show --textconv"


def default_pattern(root: Path) -> str:
    """``<golden_dir>/*.txt`` from ``[tool.cfgdiff]``, relative to the repository root."""
    from cfgdiff import settings

    pyproject, table = settings.find(root)
    if pyproject is None:
        return DEFAULT_PATTERN
    golden = (Path(pyproject).parent / str(table.get("golden_dir", settings.DEFAULT_GOLDEN_DIR))).resolve()
    try:
        return f"{golden.relative_to(root.resolve()).as_posix()}/*.txt"
    except ValueError:
        return DEFAULT_PATTERN


def setup(root: Path, pattern: str, command: str | None = None) -> list[str]:
    """Configure the driver and the attribute line; returns what was done, one line each."""
    done = []
    command = command or textconv_command()
    current = git.run(root, "config", "--local", "--get", f"diff.{DRIVER}.textconv").stdout.strip()
    if current == command:
        done.append(f"git config diff.{DRIVER}.textconv already set")
    else:
        git.output(root, "config", "--local", f"diff.{DRIVER}.textconv", command)
        done.append(f"git config diff.{DRIVER}.textconv {shlex.quote(command)}")
    attributes = root / ".gitattributes"
    line = f"{pattern} {ATTRIBUTE}"
    lines = attributes.read_text(encoding="utf-8").splitlines() if attributes.exists() else []
    if line in (existing.strip() for existing in lines):
        done.append(f".gitattributes already has {line!r}")
    else:
        text = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        write_text_atomic(attributes, text + line + "\n")
        done.append(f".gitattributes: added {line!r}")
    return done


def undo(root: Path) -> list[str]:
    """Remove the driver from ``.git/config`` and every ``diff=cfgdiff`` line from ``.gitattributes``."""
    done = []
    if git.run(root, "config", "--local", "--remove-section", f"diff.{DRIVER}").returncode == 0:
        done.append(f"git config: removed [diff \"{DRIVER}\"]")
    attributes = root / ".gitattributes"
    if attributes.exists():
        lines = attributes.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if ATTRIBUTE not in line.split()]
        if len(kept) != len(lines):
            if any(line.strip() for line in kept):
                write_text_atomic(attributes, "".join(kept))
            else:
                attributes.unlink()
            done.append(f".gitattributes: removed {len(lines) - len(kept)} line(s) with {ATTRIBUTE}")
    return done or ["nothing to undo"]
