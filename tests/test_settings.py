"""[tool.cfgdiff]: found from a folder upward; TOML parsed only where a pyproject mentions cfgdiff."""

import sys

import pytest

from cfgdiff import settings
from cfgdiff.settings import SettingsError


def test_the_nearest_pyproject_with_the_table_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.cfgdiff]\ngolden_dir = "goldens"\n')
    inner = tmp_path / "sub"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "other"\n')  # no table: look further up
    file, table = settings.find(inner)
    assert file == str(tmp_path / "pyproject.toml") and table == {"golden_dir": "goldens"}


def test_a_broken_pyproject_that_does_not_mention_cfgdiff_is_passed_by(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[project\nname = \n")
    monkeypatch.delitem(sys.modules, "tomllib", raising=False)
    assert settings.find(tmp_path) == (None, {})
    assert "tomllib" not in sys.modules  # nothing to parse, nothing imported


def test_a_broken_pyproject_with_the_table_is_one_line(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.cfgdiff]\nrecipes = [\n")
    with pytest.raises(SettingsError, match=r"pyproject.toml: invalid TOML: "):
        settings.find(tmp_path)
