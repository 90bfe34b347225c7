"""The console script: a plain `cfgdiff OLD NEW` runs without click and agrees with it.

Every test that runs a plain `cfgdiff OLD NEW` through ``tests.conftest.cfgdiff`` also runs
it the console script's way and compares the two; these tests cover the routing itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cfgdiff import cli, console


def test_the_commands_it_routes_to_click_are_clicks():
    assert console.COMMANDS == set(cli.main.commands)


@pytest.mark.parametrize(
    ("args", "plain"),
    [
        (["old.txt", "new.txt"], True),
        (["tiny_lm", "HEAD~1:tiny_lm"], True),
        (["diff", "old.txt", "new.txt"], False),  # the command word: click
        (["show", "old.txt"], False),  # a command with one argument
        (["old.txt", "new.txt", "--stat"], False),
        (["-", "new.txt"], False),  # stdin, like any option, goes through click
        (["old.txt"], False),
        (["a", "b", "c"], False),
    ],
)
def test_only_old_new_without_options_is_plain(args, plain):
    assert console.is_plain_diff(args) is plain


def test_an_ascii_stream_goes_through_click(monkeypatch):
    class Ascii:
        encoding = "ascii"

    monkeypatch.setattr(sys, "stdout", Ascii())
    assert not console.is_plain_diff(["old.txt", "new.txt"])


@pytest.fixture
def big(tmp_path: Path) -> tuple[Path, Path]:
    """Two files differing in 20,000 fields: more output than a pipe holds."""
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("".join(f"layers[{i}].dim: {i}\n" for i in range(20_000)))
    new.write_text("".join(f"layers[{i}].dim: {i + 1}\n" for i in range(20_000)))
    return old, new


def test_a_plain_diff_imports_neither_click_nor_jax(big):
    code = (
        "import sys\nfrom cfgdiff import console\n"
        "try:\n    console.run(sys.argv[1:])\nexcept SystemExit as e:\n    assert e.code == 1, e.code\n"
        "assert 'click' not in sys.modules, 'click was imported'\n"
        "assert 'jax' not in sys.modules, 'jax was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, *map(str, big)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("command", [[], ["diff"]])
def test_a_reader_that_stops_early_ends_it_quietly(big, command):
    read, write = os.pipe()
    os.close(read)  # as `| head -1` does once it has its line
    proc = subprocess.run([sys.executable, "-m", "cfgdiff", *command, *map(str, big)], stdout=write, stderr=subprocess.PIPE)
    os.close(write)
    assert (proc.returncode, proc.stderr) == (1, b"")


def test_python_m_cfgdiff_is_the_console_script(big):
    proc = subprocess.run([sys.executable, "-m", "cfgdiff", str(big[0]), str(big[0])], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "no differences (20,000 fields)\n", "")
