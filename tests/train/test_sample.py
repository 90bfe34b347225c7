"""Sampling with a KV cache: the cache's logits, greedy equality with the uncached reference, batches, long outputs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cfgdiff.recipes.lm import tiny_lm
from cfgdiff.train.model import Decoder
from cfgdiff.train.sample import SampleError, generate, generate_uncached, load_params

SEQ_LEN = 32


@pytest.fixture(scope="module")
def model() -> Decoder:
    # A 7-bit vocabulary keeps every sampled byte ASCII (one character per token), and a wide
    # init makes greedy text vary from byte to byte instead of repeating one byte.
    return Decoder.default_config().set(
        vocab_size=128, dim=32, num_layers=2, num_heads=4, num_kv_heads=2, ffn_dim=64, init_std=0.5,
    ).instantiate()


@pytest.fixture(scope="module")
def params(model):
    return jax.jit(model.init)(jax.random.key(1))


def greedy(model, params, prompt: str, tokens: int, seq_len: int = SEQ_LEN) -> list[int]:
    return list(generate(model, params, [prompt], tokens, seq_len, temperature=0)[0].encode())


def test_a_prefill_then_one_token_at_a_time_gives_the_logits_of_apply(model, params):
    tokens = jax.random.randint(jax.random.key(2), (2, 10), 0, 128)
    extend = jax.jit(model.extend)
    logits, cache = extend(params, model.init_cache(2, 16), tokens[:, :6], jnp.zeros(2, jnp.int32))
    steps = [logits]
    for i in range(6, 10):
        logits, cache = extend(params, cache, tokens[:, i : i + 1], jnp.full(2, i, jnp.int32))
        steps.append(logits)
    np.testing.assert_allclose(jnp.concatenate(steps, axis=1), model.apply(params, tokens), rtol=1e-4, atol=1e-4)


def test_rows_at_different_positions_each_see_only_their_own_past(model, params):
    tokens = jax.random.randint(jax.random.key(3), (2, 8), 0, 128)
    extend = jax.jit(model.extend)
    _, cache = extend(params, model.init_cache(2, 8), tokens, jnp.zeros(2, jnp.int32))
    # Row 0 goes on at position 3, row 1 at 6: the cache entries from there on are stale.
    logits, _ = extend(params, cache, tokens[:, :1], jnp.array([3, 6], jnp.int32))
    expected = model.apply(params, tokens.at[0, 3].set(tokens[0, 0]).at[1, 6].set(tokens[1, 0]))
    np.testing.assert_allclose(logits[:, 0], expected[jnp.arange(2), jnp.array([3, 6])], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("prompt", ["12 def", ""])
def test_greedy_text_equals_the_uncached_path_up_to_a_full_context(model, params, prompt):
    tokens = SEQ_LEN - max(len(prompt), 1) + 1  # the last token is predicted from a full context
    cached = generate(model, params, [prompt], tokens, SEQ_LEN, temperature=0)[0]
    assert cached == generate_uncached(model, params, prompt, tokens, SEQ_LEN, temperature=0)
    assert len(set(cached)) > 5  # a text that varies, so that equality means something


def test_greedy_text_of_a_trained_run_equals_the_uncached_path(tiny_run):
    cfg = tiny_lm()
    model = cfg.model.instantiate()
    params, step = load_params(str(tiny_run["run_dir"]), model)
    assert step == cfg.max_steps
    prompt, seq_len = "12 def", cfg.data.seq_len
    tokens = seq_len - len(prompt) + 1
    cached = generate(model, params, [prompt], tokens, seq_len, temperature=0)[0]
    assert cached == generate_uncached(model, params, prompt, tokens, seq_len, temperature=0)


def test_a_seed_draws_the_same_text_as_the_uncached_path(model, params):
    cached = generate(model, params, ["47 "], 20, SEQ_LEN, temperature=1.0, top_k=20, seed=5)[0]
    assert cached == generate_uncached(model, params, "47 ", 20, SEQ_LEN, temperature=1.0, top_k=20, seed=5)


def test_a_batch_of_prompts_gives_each_prompt_its_own_greedy_text(model, params):
    prompts = ["12 def", "a much longer prompt", "x"]
    batch = generate(model, params, prompts, 10, SEQ_LEN, temperature=0)
    assert batch == [generate(model, params, [p], 10, SEQ_LEN, temperature=0)[0] for p in prompts]
    assert len(set(batch)) == 3


def test_past_a_full_context_decoding_goes_on_from_the_last_half_context(model, params):
    prompt = "12 def"
    full = SEQ_LEN - len(prompt) + 1
    out = greedy(model, params, prompt, full + 6)
    assert len(out) == full + 6
    assert out[:full] == greedy(model, params, prompt, full)
    history = list(prompt.encode()) + out
    apply = jax.jit(model.apply)
    for j in range(6):  # the window restarts at half a context and grows again
        end = len(prompt) + full + j
        window = history[end - (SEQ_LEN // 2 + j) : end]
        padded = jnp.zeros((1, SEQ_LEN), jnp.int32).at[0, : len(window)].set(jnp.array(window))  # one shape, one compile
        assert out[full + j] == int(jnp.argmax(apply(params, padded)[0, len(window) - 1]))


def test_a_prompt_longer_than_the_context_is_continued_from_its_end(model, params):
    prompt = "0123456789" * 5
    assert greedy(model, params, prompt, 4) == greedy(model, params, prompt[-SEQ_LEN:], 4)


@pytest.mark.parametrize("top_k", [0, 129])
def test_top_k_outside_the_vocabulary_is_a_sample_error(model, params, top_k):
    with pytest.raises(SampleError, match=f"top_k is {top_k}; it must be between 1 and the vocabulary size, 128"):
        generate(model, params, ["x"], 3, SEQ_LEN, top_k=top_k)
