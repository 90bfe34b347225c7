"""Labels: path globs -> labels, the built-in rules for the reference trainer, project rules."""

from __future__ import annotations

import pytest

from cfgdiff.diff import diff
from cfgdiff.labels import BREAKS_CHECKPOINT, DEFAULT_RULES, LabelError, Labeler, tally_text
from cfgdiff.settings import SettingsError


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
    with pytest.raises(SettingsError, match=r"pyproject.toml: \[tool.cfgdiff\] labels"):
        Labeler.for_project(".")


def test_a_diff_is_labelled_field_by_field_and_tallied():
    old = "model.dim: 8\nmodel.remat: False\ndata.seq_len: 64\nmax_steps: 10\n"
    new = "model.dim: 16\nmodel.remat: True\ndata.seq_len: 32\nmax_steps: 20\nmodel.ffn_dim: 4\n"
    d = diff(old, new)
    labeler = Labeler(DEFAULT_RULES)
    assert labeler.of_diff(d) == {"model.dim": (BREAKS_CHECKPOINT,), "data.seq_len": ("changes-data",), "model.ffn_dim": (BREAKS_CHECKPOINT,)}
    assert labeler.tally(d) == {BREAKS_CHECKPOINT: 2, "changes-data": 1}
    assert tally_text(labeler.tally(d)) == "2 breaks-checkpoint, 1 changes-data"


def test_a_moved_subtree_is_labelled_at_both_ends_and_its_changes_at_the_new_path():
    labeler = Labeler({"layer": ["layers[*].width"], "moved": ["layers[0]"]})
    fields = "layers[{i}].width: {w}\nlayers[{i}].name: 'a'\nlayers[{i}].k: 3\nlayers[{i}].j: 4\n"
    old = fields.format(i=0, w=1)
    new = fields.format(i=0, w=7).replace("'a'", "'x'").replace("3", "5").replace(": 4", ": 6") + fields.format(i=1, w=2)
    d = diff(old, new)
    assert [(m.old_path, m.new_path) for m in d.moved] == [("layers[0]", "layers[1]")]
    assert labeler.of_diff(d)["layers[1].width"] == ("layer",)
    assert labeler.of_diff(d)["layers[0]"] == ("moved",)


def test_fails_only_on_the_labels_asked_for():
    d = diff("max_steps: 1\nmodel.dim: 8\n", "max_steps: 2\nmodel.dim: 8\n")
    labeler = Labeler(DEFAULT_RULES)
    assert not labeler.fails(d, [BREAKS_CHECKPOINT])
    assert labeler.fails(diff("model.dim: 8\n", "model.dim: 9\n"), ["changes-data", BREAKS_CHECKPOINT])


def test_an_unknown_label_is_an_error_naming_the_known_ones():
    with pytest.raises(LabelError, match=r"--fail-on 'breaks-checkpoints': no rule defines this label \(labels: breaks-checkpoint, "):
        Labeler(DEFAULT_RULES).check(["breaks-checkpoints"])
