"""Shared fixtures: throwaway recipe projects written into tmp_path."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cfgdiff import console
from cfgdiff.cli import main

pytest_plugins = ["pytester"]

_serial = itertools.count()

#: Real AXLearn golden files (read in place, never copied in): ../shared/corpus/axlearn.
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "axlearn"

# A recipe module: three recipes sharing an optimizer default, built from plain Configs.
RECIPES = '''
import cfgdiff
from cfgdiff import Config


def sgd(learning_rate, momentum=0.9):
    return (learning_rate, momentum)


def model(layers=2, dim=8):
    return (layers, dim)


def trainer(model, optimizer, steps=10):
    return (model, optimizer, steps)


def base(**kw):
    return Config(trainer, model=Config(model, **kw), optimizer=Config(sgd, learning_rate=0.1))


@cfgdiff.recipe
def alpha():
    return base()


@cfgdiff.recipe(name="beta-wide")
def beta():
    return base(dim=16)


def named_recipes():
    return {"gamma": lambda: base(layers=4)}
'''


def write_project(root: Path, files: dict[str, str], settings: str | None = None) -> str:
    """Write a project (pyproject + files) under ``root``; return its unique package name.

    In ``files``, ``PKG`` in a path or text stands for the package name, unique per project
    so that projects never share ``sys.modules`` entries.
    """
    package = f"recipes_{next(_serial)}_{abs(hash(str(root))) % 10**6}"
    settings = settings if settings is not None else f'recipes = ["{package}"]'
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[project]\nname = 'demo'\n\n[tool.cfgdiff]\n{settings.replace('PKG', package)}\n")
    for name, text in files.items():
        file = root / name.replace("PKG", package)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(textwrap.dedent(text).replace("PKG", package))
    return package


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """``project(files=..., settings=...)`` writes a recipe project and chdirs into it.

    Without ``files`` it holds the three recipes of RECIPES as ``PKG/__init__.py``.
    """
    saved_path = list(sys.path)
    # Tests edit recipe files within one second; a cached .pyc of the same size would win,
    # here and in the cfgdiff processes a test starts (a git hook, a textconv driver).
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")

    def make(files: dict[str, str] | None = None, settings: str | None = None, subdir: str = "proj") -> Path:
        root = tmp_path / subdir
        write_project(root, files if files is not None else {"PKG/__init__.py": RECIPES}, settings)
        monkeypatch.chdir(root)
        return root

    yield make
    sys.path[:] = saved_path
    forget_recipe_modules()


def forget_recipe_modules() -> None:
    """Drop the throwaway recipe packages from sys.modules, so the next discover re-imports them."""
    for name in [name for name in sys.modules if name.startswith("recipes_")]:
        del sys.modules[name]


def git(cwd: Path, *args: str) -> str:
    """Run git quietly in ``cwd`` with a fixed identity; return stdout."""
    env_args = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]
    proc = subprocess.run(["git", *env_args, *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def cfgdiff(*args: str, stdin: str | None = None, **env: str) -> Result:
    """Run the command in-process (``stdin`` piped in, ``env`` set); stdout and stderr stay
    apart (click 8.2+). Anything but the command's own exit is a failure of the test.

    A plain command line (``OLD NEW``, ``show SOURCE``), which the console script runs
    without click, is run that way too, and must print the same and exit the same.
    """
    runner = CliRunner()
    result = runner.invoke(main, list(args), input=stdin, env=env or None)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if console.plain_command(args) is not None:
        with runner.isolation(input=stdin, env=env or None) as (out, err, _):
            with pytest.raises(SystemExit) as exited:
                console.run(args)
            sys.stdout.flush()
            sys.stderr.flush()
        assert (exited.value.code, out.getvalue().decode(), err.getvalue().decode()) == (
            result.exit_code, result.stdout, result.stderr
        ), "the console script's plain command differs from click's"
    return result
