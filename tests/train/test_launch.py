"""``write_config``: a run directory resumes unless the config changed a breaks-checkpoint field."""

from __future__ import annotations

import pytest

from cfgdiff import canonical
from cfgdiff.config import ConfigError
from cfgdiff.train.launch import recipe_config, write_config


def test_a_new_run_dir_gets_the_config_text(tmp_path):
    write_config(recipe_config("tiny_lm"), str(tmp_path / "run"), "cfgdiff run tiny_lm")
    assert canonical.load(tmp_path / "run" / "config.txt")["model.dim"] == 64


def test_a_learning_rate_and_steps_change_resumes_under_the_new_config(tmp_path):
    write_config(recipe_config("tiny_lm"), str(tmp_path), "cfgdiff run tiny_lm")
    lr = "optimizer.transforms[1].learning_rate.peak_value"
    write_config(recipe_config("tiny_lm", [f"{lr}=0.001"], steps=80), str(tmp_path), "cfgdiff run tiny_lm --steps 80")
    flat = canonical.load(tmp_path / "config.txt")
    assert flat[lr] == 0.001 and flat["max_steps"] == 80


def test_a_shape_change_is_refused_naming_only_the_breaking_fields(tmp_path):
    write_config(recipe_config("tiny_lm"), str(tmp_path), "cfgdiff run tiny_lm")
    changed = recipe_config("tiny_lm", ["model.ffn_dim=256", "model.param_dtype=jax.numpy.bfloat16", "data.seq_len=32"])
    with pytest.raises(ConfigError, match=r"\(model.ffn_dim, model.param_dtype differ: breaks-checkpoint\)"):
        write_config(changed, str(tmp_path), "cfgdiff run tiny_lm")
    assert canonical.load(tmp_path / "config.txt")["model.ffn_dim"] == 128


def test_the_projects_label_rules_decide(project, tmp_path):
    project(settings='recipes = []\nlabels = {"breaks-checkpoint" = ["max_steps"]}')
    run_dir = str(tmp_path / "run")
    write_config(recipe_config("cfgdiff.recipes.lm:tiny_lm"), run_dir, "cfgdiff run")
    with pytest.raises(ConfigError, match=r"\(max_steps differ: breaks-checkpoint\)"):
        write_config(recipe_config("cfgdiff.recipes.lm:tiny_lm", steps=80), run_dir, "cfgdiff run")
