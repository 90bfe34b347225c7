"""The console script: plain command lines run without click and agree with it.

Every test that runs a plain `cfgdiff OLD NEW` or `cfgdiff show SOURCE` through
``tests.conftest.cfgdiff`` also runs it the console script's way and compares the two;
these tests cover the routing itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cfgdiff import cli, console
from tests.conftest import CORPUS, cfgdiff, git


def test_the_commands_it_routes_to_click_are_clicks():
    assert console.COMMANDS == set(cli.main.commands)


@pytest.mark.parametrize(
    ("args", "plain"),
    [
        (["old.txt", "new.txt"], True),
        (["tiny_lm", "HEAD~1:tiny_lm"], True),
        (["diff", "old.txt", "new.txt"], False),  # the command word: click
        (["show", "old.txt"], True),
        (["show", "--textconv", "old.txt"], False),
        (["blame", "tiny_lm"], False),  # any other command
        (["old.txt", "new.txt", "--stat"], False),
        (["-", "new.txt"], False),  # stdin, like any option, goes through click
        (["old.txt"], False),
        (["a", "b", "c"], False),
    ],
)
def test_old_new_and_show_without_options_are_plain(args, plain):
    assert (console.plain_command(args) is not None) is plain


def test_an_ascii_stream_goes_through_click(monkeypatch):
    class Ascii:
        encoding = "ascii"

    monkeypatch.setattr(sys, "stdout", Ascii())
    assert console.plain_command(["old.txt", "new.txt"]) is None


@pytest.fixture
def big(tmp_path: Path) -> tuple[Path, Path]:
    """Two files differing in 20,000 fields: more output than a pipe holds."""
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("".join(f"layers[{i}].dim: {i}\n" for i in range(20_000)))
    new.write_text("".join(f"layers[{i}].dim: {i + 1}\n" for i in range(20_000)))
    return old, new


def command_line(words: list[str], big: tuple[Path, Path]) -> list[str]:
    """``words`` with OLD and NEW replaced by the two files."""
    return [{"OLD": str(big[0]), "NEW": str(big[1])}.get(word, word) for word in words]


@pytest.mark.parametrize(("words", "code"), [(["OLD", "NEW"], 1), (["show", "OLD"], 0)])
def test_plain_commands_import_neither_click_nor_jax(big, words, code):
    program = (
        "import sys\nfrom cfgdiff import console\n"
        "code = int(sys.argv.pop(1))\n"
        "try:\n    console.run(sys.argv[1:])\nexcept SystemExit as e:\n    assert e.code == code, e.code\n"
        "assert 'click' not in sys.modules, 'click was imported'\n"
        "assert 'jax' not in sys.modules, 'jax was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", program, str(code), *command_line(words, big)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("words", [["OLD", "NEW"], ["diff", "OLD", "NEW"], ["show", "OLD"], ["show", "--color", "never", "OLD"]])
def test_a_reader_that_stops_early_ends_it_quietly(big, words):
    read, write = os.pipe()
    os.close(read)  # as `| head -1` does once it has its line
    proc = subprocess.run([sys.executable, "-m", "cfgdiff", *command_line(words, big)], stdout=write, stderr=subprocess.PIPE)
    os.close(write)
    assert (proc.returncode, proc.stderr) == (1, b"")


def test_python_m_cfgdiff_is_the_console_script(big):
    proc = subprocess.run([sys.executable, "-m", "cfgdiff", str(big[0]), str(big[0])], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "no differences (20,000 fields)\n", "")


@pytest.fixture
def inputs(project) -> Path:
    """A recipe project with files of every kind a plain command line reads, good and bad."""
    root = project()
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "recipes")
    (root / "a.txt").write_text("model.dim: 8\nname: 'caf\u00e9'\nsteps: 10\n")
    (root / "b.txt").write_text("model.dim: 16\nname: 'th\u00e9'\nsteps: 10\nextra: [1, 2]\n")
    (root / "bad.txt").write_text("model.dim: 8\nnot a field\n")
    (root / "a.json").write_text('{"model": {"dim": 8}, "steps": 10}')
    (root / "b.yaml").write_text("model:\n  dim: 16\nsteps: 10\n")
    (root / "empty.toml").write_text("")
    (root / "folder").mkdir()
    os.mkfifo(root / "fifo")
    return root


FILES = ["a.txt", "b.txt", "bad.txt", "a.json", "b.yaml", "empty.toml", "folder", "fifo", "missing.txt", "alpha",
         "beta-wide", "HEAD:gamma", "HEAD:a.txt", "nobranch:alpha", "nothing", str(CORPUS / "fuji-7B-v2@001d9f56.txt"),
         str(CORPUS / "fuji-7B-v2@1946b789.txt")]


@pytest.mark.parametrize("new", FILES)
@pytest.mark.parametrize("old", ["a.txt", "alpha", str(CORPUS / "fuji-7B-v2@001d9f56.txt")])
def test_a_plain_diff_of_any_two_sources_is_what_click_prints(inputs, old, new):
    result = cfgdiff(old, new)  # which runs it the console's way too, and compares
    assert result.exit_code == (2 if result.stderr else int(old != new))


@pytest.mark.parametrize("source", FILES)
def test_a_plain_show_of_any_source_is_what_click_prints(inputs, source):
    result = cfgdiff("show", source)
    assert (result.exit_code, bool(result.stdout)) == ((2, False) if result.stderr else (0, source != "empty.toml"))
