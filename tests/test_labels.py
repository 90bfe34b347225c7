"""Labels: path globs -> labels, the built-in rules for the reference trainer, project rules."""

from __future__ import annotations

import pytest

from cfgdiff.labels import BREAKS_CHECKPOINT, DEFAULT_RULES, Labeler
from cfgdiff.registry import RecipeError


@pytest.mark.parametrize("path", [
    "model.dim", "model.ffn_dim", "model.vocab_size", "model.num_layers", "model.num_kv_heads", "model.head_dim",
    "model.tied_embeddings", "model.param_dtype", "optimizer.transforms[1].fn", "optimizer.transforms[1].mu_dtype",
])
def test_shape_and_dtype_fields_break_checkpoints(path):
    assert Labeler(DEFAULT_RULES).labels_for(path) == (BREAKS_CHECKPOINT,)


@pytest.mark.parametrize("path, labels", [
    ("optimizer.transforms[1].learning_rate.peak_value", ("changes-schedule",)),
    ("optimizer.transforms[1].learning_rate.fn", ("changes-schedule",)),
    ("data.seq_len", ("changes-data",)),
    ("max_steps", ()), ("model.compute_dtype", ()), ("model.remat", ()), ("mesh_shape[0]", ()),
])
def test_other_fields_do_not_break_checkpoints(path, labels):
    assert Labeler(DEFAULT_RULES).labels_for(path) == labels


def test_globs_match_whole_segments_and_subtrees():
    labeler = Labeler({"wide": ["model.*_dim", "data"]})
    assert labeler.labels_for("model.decoder.transformer.layer.feed_forward.hidden_dim") == ("wide",)
    assert labeler.labels_for("data.source.path") == ("wide",)
    assert labeler.labels_for("model.ffn_dims") == () and labeler.labels_for("dataset") == ()


def test_a_path_carries_every_matching_label_in_rule_order():
    labeler = Labeler({"b": ["model.dim"], "a": ["model.*"]})
    assert labeler.labels_for("model.dim") == ("b", "a")


def test_breaking_picks_the_paths_with_the_label():
    assert Labeler(DEFAULT_RULES).breaking(["max_steps", "model.dim", "data.seed"]) == ["model.dim"]


def test_project_rules_replace_a_built_in_label_and_keep_the_others(project):
    project(settings='recipes = []\nlabels = {"breaks-checkpoint" = ["net.width"], "costly" = ["mesh_shape"]}')
    labeler = Labeler.for_project(".")
    assert labeler.labels_for("net.width") == (BREAKS_CHECKPOINT,)
    assert labeler.labels_for("model.dim") == ()
    assert labeler.labels_for("mesh_shape[1]") == ("costly",)
    assert labeler.labels_for("data.seq_len") == ("changes-data",)


def test_outside_a_project_the_built_in_rules_apply(tmp_path):
    assert Labeler.for_project(tmp_path).rules == DEFAULT_RULES


@pytest.mark.parametrize("settings", ['labels = ["model.dim"]', 'labels = {"two words" = ["x"]}', 'labels = {"x" = [1]}'])
def test_bad_label_rules_are_one_line_errors(project, settings):
    project(settings=f"recipes = []\n{settings}")
    with pytest.raises(RecipeError, match=r"pyproject.toml: \[tool.cfgdiff\] labels"):
        Labeler.for_project(".")
