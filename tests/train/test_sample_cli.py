"""``cfgdiff sample`` on a trained run: the checkpoint's weights, --temperature, --top-k, --seed, several prompts."""

from __future__ import annotations

import re

import jax
import pytest
from click.testing import CliRunner

from cfgdiff import canonical
from cfgdiff.cli import main
from cfgdiff.recipes.lm import tiny_lm
from cfgdiff.train.sample import generate, load_params, model_from_run

#: The words of SyntheticSource's corpus, which tiny_lm trains on.
CORPUS_WORD = re.compile(r"\b(def|return|self|value|import|class|for|in|if|None)\b")


def sample(*args: str):
    return CliRunner().invoke(main, ["sample", *args])


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """tiny_lm trained on its regular corpus until greedy samples spell the corpus's words."""
    run_dir = tmp_path_factory.mktemp("trained")
    result = CliRunner().invoke(main, ["run", "tiny_lm", "--run-dir", str(run_dir), "--steps", "150", "--set", "model.num_layers=1"])
    assert result.exit_code == 0, result.output
    return str(run_dir)


def greedy_cli(run_dir: str, *args: str) -> str:
    result = sample(run_dir, "--prompt", "12 def", "--tokens", "40", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def greedy(trained_run) -> str:
    return greedy_cli(trained_run, "--temperature", "0")


@pytest.fixture(scope="module")
def seed_3(trained_run) -> str:
    return greedy_cli(trained_run, "--temperature", "1.0", "--seed", "3")


def test_greedy_sample_comes_from_the_checkpoint_not_fresh_weights(trained_run, greedy):
    model, seq_len = model_from_run(trained_run)
    trained, step = load_params(trained_run, model)
    assert step == 150
    fresh = model.init(jax.random.key(0))  # what the trainer starts from (seed 0)
    assert greedy == "12 def" + generate(model, trained, ["12 def"], 40, seq_len, temperature=0)[0] + "\n"
    assert greedy != "12 def" + generate(model, fresh, ["12 def"], 40, seq_len, temperature=0)[0] + "\n"
    assert CORPUS_WORD.search(greedy.removeprefix("12 def"))


def test_the_same_seed_draws_the_same_text(trained_run, seed_3):
    assert greedy_cli(trained_run, "--temperature", "1.0", "--seed", "3") == seed_3


def test_another_seed_draws_another_text(trained_run, seed_3):
    assert greedy_cli(trained_run, "--temperature", "1.0", "--seed", "4") != seed_3


def test_top_k_1_is_greedy_at_any_temperature_and_seed(trained_run, greedy, seed_3):
    assert seed_3 != greedy  # so that sampling at this temperature is not greedy by chance
    assert greedy_cli(trained_run, "--temperature", "1.0", "--top-k", "1", "--seed", "3") == greedy


def test_several_prompts_are_sampled_as_one_batch_each_as_alone(trained_run, greedy):
    result = sample(trained_run, "--prompt", "12 def", "--prompt", "47 ", "--tokens", "40", "--temperature", "0")
    assert result.exit_code == 0, result.output
    alone = sample(trained_run, "--prompt", "47 ", "--tokens", "40", "--temperature", "0").stdout
    assert result.stdout == "== sample 1 ==\n" + greedy + "== sample 2 ==\n" + alone


def test_top_k_above_the_vocabulary_is_one_line(trained_run):
    result = sample(trained_run, "--top-k", "300", "--tokens", "2")
    assert result.exit_code == 2
    assert result.stderr == "cfgdiff: error: top_k is 300; it must be between 1 and the vocabulary size, 256\n"


@pytest.fixture
def run_config(tmp_path):
    """A run dir holding only tiny_lm's config.txt, as text to edit."""
    return tmp_path, canonical.dumps(tiny_lm())


def test_a_config_without_seq_len_is_one_line(run_config):
    run_dir, text = run_config
    (run_dir / "config.txt").write_text("".join(l for l in text.splitlines(True) if not l.startswith("data.seq_len:")))
    result = sample(str(run_dir))
    assert result.exit_code == 2 and result.stderr == f"cfgdiff: error: {run_dir}/config.txt: no data.seq_len, the context length to sample with\n"


def test_an_unknown_model_field_is_one_line_naming_the_file(run_config):
    run_dir, text = run_config
    (run_dir / "config.txt").write_text(text.replace("model.dim: 64", "model.dimm: 64"))
    result = sample(str(run_dir))
    assert result.exit_code == 2 and result.stderr.startswith(f"cfgdiff: error: {run_dir}/config.txt: model.dimm: unknown field 'dimm'")


def test_a_run_without_a_checkpoint_is_one_line(run_config):
    run_dir, text = run_config
    (run_dir / "config.txt").write_text(text)
    result = sample(str(run_dir))
    assert result.exit_code == 2 and result.stderr == f"cfgdiff: error: {run_dir}/checkpoints: no checkpoint yet\n"
