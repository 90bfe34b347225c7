"""The commands: `cfgdiff OLD NEW` (exit codes, formats, filters, errors), `show`, `git-setup`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cfgdiff import cli
from tests.conftest import cfgdiff, forget_recipe_modules, git


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """old.txt and new.txt (one change), same.txt (= old.txt), in the current directory."""
    (tmp_path / "old.txt").write_text("model.dim: 8\nmodel.heads: 2\nsteps: 10\n")
    (tmp_path / "same.txt").write_text("steps: 10\nmodel.heads: 2\nmodel.dim: 8\n")
    (tmp_path / "new.txt").write_text("model.dim: 16\nmodel.heads: 2\nsteps: 10\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


# -- exit codes ---------------------------------------------------------------------------


def test_exit_code_0_when_same(files):
    result = cfgdiff("old.txt", "same.txt")
    assert result.exit_code == 0
    assert result.stdout == "no differences (3 fields)\n"


def test_exit_code_1_when_different_with_the_diff_on_stdout(files):
    result = cfgdiff("old.txt", "new.txt")
    assert result.exit_code == 1
    assert result.stdout == (
        "# model (1 changed)\n  ~ model.dim: 8 -> 16  [breaks-checkpoint]\n"
        "1 changed, 0 added, 0 removed (2 unchanged); labelled: 1 breaks-checkpoint\n"
    )
    assert result.stderr == ""


def test_a_dash_reads_canonical_text_from_stdin(files):
    result = cfgdiff("-", "new.txt", stdin=(files / "old.txt").read_text())
    assert result.exit_code == 1
    assert "~ model.dim: 8 -> 16" in result.output


def test_the_diff_subcommand_word_is_optional(files):
    assert cfgdiff("diff", "old.txt", "new.txt").stdout == cfgdiff("old.txt", "new.txt").stdout


def test_a_missing_file_is_exit_2_with_one_line_on_stderr(files):
    result = cfgdiff("old.txt", "nope.txt")
    assert result.exit_code == 2
    assert result.stderr == "cfgdiff: error: nope.txt: not a config source (no such file or directory)\n"
    assert result.stdout == ""


def test_malformed_input_is_exit_2_naming_file_and_line(files):
    (files / "bad.txt").write_text("model.dim: 8\nthis is not a field\n")
    result = cfgdiff("old.txt", "bad.txt")
    assert result.exit_code == 2
    assert result.stderr == "cfgdiff: error: bad.txt:2: expected 'path: value', got 'this is not a field'\n"


def test_an_unknown_source_is_exit_2(files):
    result = cfgdiff("old.txt", "HEAD~5:nothing/here.txt")
    assert result.exit_code == 2
    assert result.stderr.startswith("cfgdiff: error: HEAD~5:nothing/here.txt: not a config source")
    assert result.stderr.count("\n") == 1


def test_exit_code_1_when_the_only_difference_is_a_move(files):
    (files / "a.txt").write_text("rules[0].name: 'a'\nrules[0].size: 1\nrules[1].name: 'b'\nrules[1].size: 2\n")
    (files / "b.txt").write_text("rules[0].name: 'b'\nrules[0].size: 2\nrules[1].name: 'a'\nrules[1].size: 1\n")
    result = cfgdiff("a.txt", "b.txt")
    assert result.exit_code == 1
    assert "2 moved" in result.stdout
    assert cfgdiff("-q", "a.txt", "b.txt").exit_code == 1
    assert json.loads(cfgdiff("--format", "json", "a.txt", "b.txt").stdout)["summary"]["moved"] == 2


def test_quiet_prints_nothing_and_keeps_the_exit_code(files):
    result = cfgdiff("-q", "old.txt", "new.txt")
    assert (result.exit_code, result.stdout) == (1, "")
    assert cfgdiff("--quiet", "old.txt", "same.txt").exit_code == 0


# -- formats and filters ------------------------------------------------------------------


def test_stat_prints_counts_per_subtree(files):
    assert cfgdiff("--stat", "old.txt", "new.txt").stdout == (
        " model | 1 ~\n 1 subtree: 1 changed, 0 added, 0 removed (2 unchanged); labelled: 1 breaks-checkpoint\n"
    )


def test_stat_with_another_format_is_a_usage_error(files):
    result = cfgdiff("--stat", "--format", "json", "old.txt", "new.txt")
    assert result.exit_code == 2
    assert "--stat prints text" in result.stderr


def test_json_format(files):
    result = cfgdiff("--format", "json", "old.txt", "new.txt")
    data = json.loads(result.stdout)
    assert data["changed"] == [{"path": "model.dim", "old": 8, "new": 16, "labels": ["breaks-checkpoint"]}]
    assert data["sources"] == {"old": "old.txt", "new": "new.txt"}
    assert result.exit_code == 1


def test_markdown_format(files):
    out = cfgdiff("--format", "markdown", "old.txt", "new.txt").stdout
    assert out.startswith(
        "<!-- cfgdiff-diff -->\n### cfgdiff: `old.txt` → `new.txt`\n\n"
        "**1 changed, 0 added, 0 removed (2 unchanged); labelled: 1 breaks-checkpoint**\n"
    )
    assert "```diff\n- model.dim: 8\n+ model.dim: 16  [breaks-checkpoint]\n```" in out


def test_markdown_title_heads_the_comment(files):
    result = cfgdiff("old.txt", "new.txt", "--format", "markdown", "--title", "tiny_lm")
    assert result.output.startswith("<!-- cfgdiff-diff -->\n### tiny_lm\n")
    assert cfgdiff("old.txt", "new.txt", "--title", "x").exit_code == 2


def test_ignore_and_only_filter_paths(files):
    assert cfgdiff("--ignore", "model.dim", "old.txt", "new.txt").exit_code == 0
    assert cfgdiff("--ignore", "*.dim", "--ignore", "steps", "old.txt", "new.txt").exit_code == 0
    assert cfgdiff("--only", "steps", "old.txt", "new.txt").exit_code == 0
    assert cfgdiff("--only", "model", "old.txt", "new.txt").exit_code == 1


def test_two_ignores_leave_a_near_miss_field_visible(files):
    (files / "a.txt").write_text("log: 1\nlogging.level: 1\nx.seed: 1\n")
    (files / "b.txt").write_text("log: 2\nlogging.level: 2\nx.seed: 2\n")
    result = cfgdiff("a.txt", "b.txt", "--ignore", "log", "--ignore", "*.seed", "--format", "json")
    assert result.exit_code == 1
    assert [c["path"] for c in json.loads(result.stdout)["changed"]] == ["logging.level"]


def test_ignoring_a_list_item_keeps_the_item_whose_index_starts_the_same(files):
    (files / "a.txt").write_text("layers[1].dim: 1\nlayers[10].dim: 1\n")
    (files / "b.txt").write_text("layers[1].dim: 2\nlayers[10].dim: 2\n")
    result = cfgdiff("a.txt", "b.txt", "--ignore", "layers[1]", "--format", "json")
    assert result.exit_code == 1
    assert [c["path"] for c in json.loads(result.stdout)["changed"]] == ["layers[10].dim"]
    assert cfgdiff("a.txt", "b.txt", "--ignore", "layers[1]", "--ignore", "layers[10]").exit_code == 0


def test_an_only_prefix_that_matches_nothing_is_exit_2(files):
    result = cfgdiff("--only", "modle", "old.txt", "new.txt")
    assert result.exit_code == 2
    assert result.stderr == "cfgdiff: error: --only 'modle': neither config has a field under it\n"


def test_colour_is_off_in_a_pipe_on_when_asked_and_off_with_no_color(files, monkeypatch):
    assert "\x1b[" not in cfgdiff("old.txt", "new.txt").stdout
    assert "\x1b[" in cfgdiff("--color", "always", "old.txt", "new.txt").stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in cfgdiff("--color", "auto", "old.txt", "new.txt").stdout


def test_documents_and_text_compare_by_the_same_paths(files):
    (files / "new.json").write_text('{"model": {"dim": 16, "heads": 2}, "steps": 10}')
    result = cfgdiff("old.txt", "new.json")
    assert result.stdout.splitlines()[1] == "  ~ model.dim: 8 -> 16  [breaks-checkpoint]"


# -- REV:RECIPE -------------------------------------------------------------------------------


def test_rev_recipe_compares_the_recipe_built_at_a_revision_with_the_working_tree(project):
    root = project()
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "v1")
    init = next(root.glob("recipes_*/__init__.py"))
    init.write_text(init.read_text().replace("momentum=0.9", "momentum=0.95"))
    forget_recipe_modules()
    result = cfgdiff("HEAD:alpha", "alpha", "--format", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["sources"] == {"old": "HEAD:alpha", "new": "recipe alpha"}
    (changed,) = data["changed"]
    assert (changed["path"], changed["old"], changed["new"]) == ("optimizer.momentum", 0.9, 0.95)
    assert changed["origin"].startswith("default, recipes_") and changed["origin"].endswith("/__init__.py:6")


# -- show -----------------------------------------------------------------------------------


def test_show_prints_sorted_canonical_text(files):
    (files / "messy.txt").write_text("# header\nsteps: 10\nlayers[10]: 1\nlayers[2]: 1\n")
    assert cfgdiff("show", "messy.txt").stdout == "layers[2]: 1\nlayers[10]: 1\nsteps: 10\n"


def test_show_textconv_prints_unreadable_input_unchanged(files):
    (files / "broken.txt").write_text("not canonical\n")
    result = cfgdiff("show", "--textconv", "broken.txt")
    assert (result.exit_code, result.stdout) == (0, "not canonical\n")
    assert cfgdiff("show", "broken.txt").exit_code == 2


# -- speed: what diffing two files imports --------------------------------------------------


def test_diffing_two_files_imports_only_what_a_diff_needs(files):
    """No jax, no recipe registry, no pathlib, no writers of other formats (each costs
    milliseconds at every start). Without ``site`` (``-S``), as nothing else imports pathlib first."""
    unwanted = ("jax", "optax", "deepdiff", "pathlib", "cfgdiff.registry", "cfgdiff.changes",
                "cfgdiff.render.markdown", "cfgdiff.render.json")
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print(sorted(m for m in sys.modules if m.startswith({unwanted!r})), file=sys.stderr))\n"
        "from cfgdiff.cli import main\n"
        "main(['old.txt', 'new.txt'])\n"
    )
    root = str(Path(cli.__file__).parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, *filter(os.path.isdir, sys.path)]))
    proc = subprocess.run([sys.executable, "-S", "-c", probe], cwd=files, capture_output=True, text=True, env=env)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == "[]"


# -- git-setup ----------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(tmp_path, "init", "-q")
    (tmp_path / "golden_configs").mkdir()
    (tmp_path / "golden_configs" / "r.txt").write_text("b: 2\na: 1\n")
    (tmp_path / "notes.txt").write_text("b: 2\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def git_diff(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "diff", *args], cwd=repo, capture_output=True, text=True)


def test_git_setup_makes_git_diff_show_golden_files_sorted_field_by_field(repo):
    result = cfgdiff("git-setup")
    assert result.exit_code == 0, result.stderr
    assert (repo / ".gitattributes").read_text() == "golden_configs/*.txt diff=cfgdiff\n"
    (repo / "golden_configs" / "r.txt").write_text("a: 1\nb: 3\n")  # reordered and one change
    out = git_diff(repo).stdout
    assert "-b: 2\n+b: 3\n" in out
    assert "-a: 1" not in out and "+a: 1" not in out  # the reordering is not a difference


def test_git_setup_keeps_git_diff_exit_codes(repo):
    cfgdiff("git-setup")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-q", "-m", "attributes")
    assert git_diff(repo, "--exit-code").returncode == 0
    (repo / "golden_configs" / "r.txt").write_text("a: 1\nb: 2\n")  # same fields, other order
    assert git_diff(repo, "--exit-code").returncode == 1  # the bytes differ; git still says so
    (repo / "golden_configs" / "r.txt").write_text("not canonical\n")  # textconv never fails
    proc = git_diff(repo, "--exit-code")
    assert proc.returncode == 1 and "+not canonical" in proc.stdout


def test_git_setup_is_idempotent_and_undone_by_undo(repo):
    cfgdiff("git-setup")
    second = cfgdiff("git-setup")
    assert "already" in second.stdout
    assert (repo / ".gitattributes").read_text().count("diff=cfgdiff") == 1
    undo = cfgdiff("git-setup", "--undo")
    assert undo.exit_code == 0
    assert not (repo / ".gitattributes").exists()
    config = subprocess.run(["git", "config", "--get", "diff.cfgdiff.textconv"], cwd=repo, capture_output=True)
    assert config.returncode == 1


def test_git_setup_pattern_option_and_other_attributes_are_kept(repo):
    (repo / ".gitattributes").write_text("*.png binary")
    cfgdiff("git-setup", "--pattern", "configs/**/*.txt")
    assert (repo / ".gitattributes").read_text() == "*.png binary\nconfigs/**/*.txt diff=cfgdiff\n"
    cfgdiff("git-setup", "--undo")
    assert (repo / ".gitattributes").read_text() == "*.png binary\n"


def test_git_setup_outside_a_repository_is_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cfgdiff("git-setup")
    assert result.exit_code == 2
    assert "not inside a git work tree" in result.stderr
