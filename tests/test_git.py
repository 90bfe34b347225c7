"""Running git: failures are one line."""

import pytest

from cfgdiff import git


def test_output_returns_stdout_without_the_final_newline(tmp_path):
    git.output(tmp_path, "init", "-q")
    assert git.output(tmp_path, "rev-parse", "--is-inside-work-tree") == "true"


def test_a_failing_command_is_one_line_with_gits_complaint(tmp_path):
    with pytest.raises(git.GitError, match=r"^git rev-parse: fatal: not a git repository[^\n]*$"):
        git.output(tmp_path, "rev-parse", "--show-toplevel")


def test_what_replaces_gits_complaint(tmp_path):
    with pytest.raises(git.GitError, match="^somewhere: not a repository$"):
        git.output(tmp_path, "rev-parse", "--show-toplevel", what="somewhere: not a repository")


def test_missing_git_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(git.GitError, match="git is not installed"):
        git.run(tmp_path, "status")
