"""The commands' impact and label options: ``show --impact``, impact blocks, ``--fail-on``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import cfgdiff, forget_recipe_modules, git

GOLDEN = Path(__file__).resolve().parents[1] / "golden_configs"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "axlearn"


def corpus(name: str) -> str:
    if not CORPUS.is_dir():
        pytest.skip("the AXLearn corpus (../shared/corpus/axlearn) is not here")
    return str(CORPUS / f"{name}.txt")


def test_show_impact_prints_aligned_figures():
    result = cfgdiff("show", "--impact", str(GOLDEN / "llama_7b.txt"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "parameters         6,981,685,248"
    assert "attention          GQA, 32 query / 8 KV heads, auto" in lines


def test_show_impact_of_an_axlearn_golden_file():
    result = cfgdiff("show", "--impact", corpus("fuji-7B-v2-single-host@34aed43c"))
    assert result.stdout.splitlines()[:2] == ["global batch     8", "tokens per step  32,768"]


def test_show_impact_without_a_registered_impact_is_one_line(tmp_path):
    (tmp_path / "c.txt").write_text("klass: my.Trainer\nsteps: 3\n")
    result = cfgdiff("show", "--impact", str(tmp_path / "c.txt"))
    assert result.exit_code == 2
    assert result.stderr.startswith("cfgdiff: error: no impact figures for its target my.Trainer; register some with @cfgdiff.impact('my.Trainer')")


def test_the_axlearn_sibling_diff_shows_the_batch_divided_by_128_first():
    result = cfgdiff(corpus("fuji-7B-v2@34aed43c"), corpus("fuji-7B-v2-single-host@34aed43c"))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:3] == [
        "Impact:",
        "  global batch     1,024 -> 8  (÷128)",
        "  tokens per step  4,194,304 -> 32,768  (÷128)",
    ]


def test_the_axlearn_sibling_diff_as_markdown_and_json_has_the_impact():
    old, new = corpus("fuji-7B-v2@34aed43c"), corpus("fuji-7B-v2-single-host@34aed43c")
    markdown = cfgdiff(old, new, "--format", "markdown").stdout
    assert "| Impact | old | new | |\n|---|--:|--:|---|\n| global batch | 1,024 | 8 | ÷128 |\n" in markdown
    data = json.loads(cfgdiff(old, new, "--format", "json").stdout)
    assert data["impact"][1] == {
        "figure": "tokens per step", "old": 4194304, "new": 32768, "old_text": "4,194,304", "new_text": "32,768", "unit": "", "ratio": "÷128",
    }


def test_an_unchanged_figure_set_prints_no_impact_block(tmp_path):
    old = (GOLDEN / "tiny_lm.txt").read_text()
    (tmp_path / "new.txt").write_text(old.replace("seed: 0", "seed: 1"))
    result = cfgdiff(str(GOLDEN / "tiny_lm.txt"), str(tmp_path / "new.txt"))
    assert result.exit_code == 1 and "Impact" not in result.stdout


@pytest.fixture
def configs(tmp_path, monkeypatch):
    """Three versions of a trainer-shaped config, outside any project (built-in label rules)."""
    monkeypatch.chdir(tmp_path)
    base = "model.dim: 8\nmax_steps: 10\noptimizer.learning_rate: 0.1\n"
    (tmp_path / "base.txt").write_text(base)
    (tmp_path / "lr.txt").write_text(base.replace("0.1", "0.2").replace("10", "20"))
    (tmp_path / "wide.txt").write_text(base.replace("8", "16"))
    return tmp_path


def test_fail_on_passes_changes_without_the_label(configs):
    result = cfgdiff("base.txt", "lr.txt", "--fail-on", "breaks-checkpoint")
    assert result.exit_code == 0 and "optimizer.learning_rate: 0.1 -> 0.2" in result.stdout


def test_fail_on_fails_a_change_with_the_label(configs):
    assert cfgdiff("base.txt", "wide.txt", "--fail-on", "breaks-checkpoint", "-q").exit_code == 1
    assert cfgdiff("base.txt", "lr.txt", "--fail-on", "breaks-checkpoint", "--fail-on", "changes-schedule", "-q").exit_code == 1


def test_fail_on_an_unknown_label_is_trouble(configs):
    result = cfgdiff("base.txt", "wide.txt", "--fail-on", "breaks-checkpoints")
    assert result.exit_code == 2 and result.stderr.startswith("cfgdiff: error: --fail-on 'breaks-checkpoints': no rule defines")


# -- golden check and review over a project of reference-trainer recipes --------------------

TRAINER_RECIPES = """
from cfgdiff.recipes.lm import tiny_lm


def mine():
    cfg = tiny_lm()
    cfg.model.dim = 64
    cfg.optimizer.transforms[1].learning_rate.peak_value = 0.003
    return cfg


def named_recipes():
    return {"mine": mine}
"""


def edit(root: Path, old: str, new: str) -> None:
    file = next(root.glob("recipes_*/__init__.py"))
    file.write_text(file.read_text().replace(old, new))
    forget_recipe_modules()  # as a new cfgdiff process would


@pytest.fixture
def trainer_project(project):
    root = project(files={"PKG/__init__.py": TRAINER_RECIPES}, settings='recipes = ["PKG"]')
    assert cfgdiff("golden", "update").exit_code == 0
    return root


def test_golden_check_fail_on_breaks_checkpoint_fails_a_shape_change(trainer_project):
    edit(trainer_project, "cfg.model.dim = 64", "cfg.model.dim = 128")
    result = cfgdiff("golden", "check", "--fail-on", "breaks-checkpoint")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Impact on mine:"
    assert lines[1].startswith("  parameters         90,432 -> ")
    # The new value's origin stands between the change and its labels.
    assert any(line.startswith("    ~ model.dim: 64 -> 128  (") and line.endswith(")  [breaks-checkpoint]") for line in lines)
    assert lines[-2].startswith("golden check: 1 differ; labelled: 1 breaks-checkpoint")


def test_golden_check_fail_on_breaks_checkpoint_passes_a_learning_rate_change(trainer_project):
    edit(trainer_project, "peak_value = 0.003", "peak_value = 0.001")
    result = cfgdiff("golden", "check", "--fail-on", "breaks-checkpoint")
    assert result.exit_code == 0, result.output
    assert re.search(r"optimizer.transforms\[1\].learning_rate.peak_value: 0.003 -> 0.001  \(.*\)  \[changes-schedule\]", result.stdout)
    assert "Impact" not in result.stdout  # no figure moved
    assert cfgdiff("golden", "check").exit_code == 1  # without --fail-on, any difference fails


def test_golden_check_json_has_the_impact_and_labels(trainer_project):
    edit(trainer_project, "cfg.model.dim = 64", "cfg.model.dim = 128")
    data = json.loads(cfgdiff("golden", "check", "--format", "json").stdout)
    (recipe,) = data["recipes"]
    assert [f["figure"] for f in recipe["diff"]["impact"]][:2] == ["parameters", "FLOPs per step"]
    assert recipe["diff"]["labels"] == {"breaks-checkpoint": 1}


def test_project_label_rules_gate_golden_check(project):
    project(settings='recipes = ["PKG"]\nlabels = {"breaks-checkpoint" = ["model.dim", "model.layers"]}')
    assert cfgdiff("golden", "update").exit_code == 0
    root = Path.cwd()
    edit(root, "learning_rate=0.1", "learning_rate=0.2")
    assert cfgdiff("golden", "check", "--fail-on", "breaks-checkpoint").exit_code == 0
    edit(root, "dim=8", "dim=32")
    result = cfgdiff("golden", "check", "--fail-on", "breaks-checkpoint")
    assert result.exit_code == 1 and re.search(r"model.dim: 8 -> 32  \(.*\)  \[breaks-checkpoint\]", result.stdout)


def test_review_fail_on_a_breaking_change_on_the_branch(trainer_project):
    git(trainer_project, "init", "-q")
    git(trainer_project, "add", ".")
    git(trainer_project, "commit", "-qm", "base")
    git(trainer_project, "checkout", "-qb", "wider")
    edit(trainer_project, "cfg.model.dim = 64", "cfg.model.dim = 128")
    result = cfgdiff("review", "--base", "main", "--fail-on", "breaks-checkpoint")
    assert result.exit_code == 1, result.output
    assert "Impact on mine:" in result.stdout and "[breaks-checkpoint]" in result.stdout
    assert cfgdiff("review", "--base", "main", "--fail-on", "changes-data").exit_code == 0


def test_a_changed_target_carries_the_labels_of_its_klass_line(tmp_path):
    (tmp_path / "a.txt").write_text("model.klass: a.Decoder\nmodel.dim: 8\nmodel.x: 1\n")
    (tmp_path / "b.txt").write_text("model.klass: b.Decoder\nmodel.dim: 8\nmodel.y: 1\n")
    lines = cfgdiff(str(tmp_path / "a.txt"), str(tmp_path / "b.txt")).stdout.splitlines()
    assert lines[1] == "  ~ model: a.Decoder -> b.Decoder  (target changed; 1 added, 1 removed)  [breaks-checkpoint]"
