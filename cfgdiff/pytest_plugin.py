"""pytest plugin: one golden-config test per recipe, and ``--update-golden``.

Installed with cfgdiff (``pytest11`` entry point ``cfgdiff``). It acts only in projects
whose rootdir ``pyproject.toml`` has a ``[tool.cfgdiff]`` table; elsewhere it does nothing.

The tests hang under the pyproject file, as ``pyproject.toml::test_golden[<recipe>]``.
They are collected when pytest collects that file (``pytest`` run from the root without
``testpaths``, or ``pytest pyproject.toml``), and added to a run that collects the
configured ``testpaths`` (a plain ``pytest``); picking test files by hand leaves them out.
A failure shows the field diff and the command that regenerates the golden file. A recipe
module that fails to import, and a golden file whose recipe is gone, are one failing test
each (``test_golden_import[<module>]``, ``test_golden_stale[<name>]``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cfgdiff import golden, impact
from cfgdiff.labels import Labeler
from cfgdiff.registry import RecipeError, Registry, discover
from cfgdiff.settings import SettingsError
from cfgdiff.render.text import render_changes

_REGISTRY = pytest.StashKey[Registry]()
_PYPROJECT = pytest.StashKey["Path | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cfgdiff", "cfgdiff golden configs")
    group.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the golden config of each recipe tested instead of failing on a difference.",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path == _pyproject(parent.config):
        return GoldenFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so those apply to golden tests too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    pyproject = _pyproject(config)
    if pyproject is None or config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return
    if any(isinstance(item, GoldenItem) for item in items):  # testpaths already include the root
        return
    items.extend(session.genitems(GoldenFile.from_parent(session, path=pyproject)))


def _pyproject(config: pytest.Config) -> Path | None:
    """The rootdir's pyproject.toml when it has ``[tool.cfgdiff]``, else None (read once)."""
    if _PYPROJECT not in config.stash:
        file = config.rootpath / "pyproject.toml"
        try:
            with open(file, "rb") as f:
                found = file if "cfgdiff" in tomllib.load(f).get("tool", {}) else None
        except (OSError, tomllib.TOMLDecodeError):
            found = None
        config.stash[_PYPROJECT] = found
    return config.stash[_PYPROJECT]


class GoldenFile(pytest.File):
    """The project's recipes, collected from its pyproject.toml."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            registry = discover(self.path.parent)
            impact.load_project(registry.root)  # the project's impact figures, as golden check shows them
        except (RecipeError, SettingsError) as e:
            raise self.CollectError(str(e)) from None
        self.config.stash[_REGISTRY] = registry
        for error in registry.errors:  # a module that fails to import is one failing test
            module = str(error).split(":", 1)[0].removeprefix("recipe module ")
            yield ProblemItem.from_parent(self, name=f"test_golden_import[{module}]", message=str(error))
        for name in registry:
            yield GoldenItem.from_parent(self, name=f"test_golden[{name}]", recipe=name)
        for stale in golden.stale_files(registry):  # a golden file whose recipe is gone
            message = render_changes(golden.changeset(golden.Report([stale], registry, "check"), closing=False))
            yield ProblemItem.from_parent(self, name=f"test_golden_stale[{stale.name}]", message=message.strip())


class GoldenMismatch(Exception):
    """A recipe that differs from its golden file; the message is the report."""


class GoldenItem(pytest.Item):
    """Checks (or with ``--update-golden``, rewrites) one recipe's golden file."""

    def __init__(self, *, recipe: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recipe = recipe

    def runtest(self) -> None:
        registry = self.config.stash[_REGISTRY]
        if self.config.getoption("update_golden"):
            report = golden.update(registry, [self.recipe])
        else:
            report = golden.check(registry, [self.recipe])
        if report.exit_code:
            changes = golden.changeset(report, closing=False)
            Labeler.for_project(registry.root).annotate_changes(changes)
            message = render_changes(changes)
            if report.action == "check":
                message += f"  or: pytest --update-golden '{self.nodeid}'\n"
            raise GoldenMismatch(message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, GoldenMismatch):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)  # a bug in cfgdiff: show the traceback

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"golden config of recipe {self.recipe}"


class ProblemItem(pytest.Item):
    """A problem found while collecting (a module that fails to import, a stale golden file), as one line."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def runtest(self) -> None:
        raise GoldenMismatch(self.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.message
