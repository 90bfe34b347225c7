"""Text sources and batches: deterministic, resumable, sharded, split."""

from __future__ import annotations

import sysconfig

import numpy as np
import pytest

from cfgdiff.train.data import ByteTokenizer, DataError, FileSource, StdlibSource, SyntheticSource, TextDataset


def dataset(**overrides) -> TextDataset:
    cfg = TextDataset.default_config().set(source=SyntheticSource.default_config(), seq_len=16, global_batch_size=8)
    return cfg.set(**overrides).instantiate()


def test_a_batch_is_a_function_of_the_step_alone():
    a, b = dataset(), dataset()
    np.testing.assert_array_equal(a.batch(7)["inputs"], b.batch(7)["inputs"])
    assert not np.array_equal(a.batch(7)["inputs"], a.batch(8)["inputs"])


def test_targets_are_inputs_shifted_by_one():
    batch = dataset().batch(0)
    np.testing.assert_array_equal(batch["inputs"][:, 1:], batch["targets"][:, :-1])
    assert batch["inputs"].shape == (8, 16) and batch["inputs"].dtype == np.int32


def test_process_shards_concatenate_to_the_global_batch():
    data = dataset()
    shards = [data.batch(3, shard=(i, 4))["inputs"] for i in range(4)]
    np.testing.assert_array_equal(np.concatenate(shards), data.batch(3)["inputs"])


def test_a_batch_that_does_not_split_over_processes_is_an_error():
    with pytest.raises(ValueError, match="global_batch_size=8"):
        dataset().batch(0, shard=(0, 3))


def test_eval_windows_come_from_the_held_out_tail_only():
    data = dataset(eval_fraction=0.1)
    split = data._split()
    train = {tuple(row) for step in range(20) for row in data.batch(step)["inputs"]}
    tail = data.tokens[split:]
    for row in data.eval_batch(0)["inputs"]:
        assert any(np.array_equal(row, tail[i : i + 16]) for i in range(len(tail) - 15))
    assert train.isdisjoint({tuple(r) for r in data.eval_batch(0)["inputs"]})


def test_stdlib_source_reads_sorted_python_files_outside_site_packages():
    files = StdlibSource.default_config().instantiate().files()
    root = sysconfig.get_paths()["stdlib"]
    relative = [str(f.relative_to(root)) for f in files]
    assert len(files) > 100 and relative == sorted(relative, key=lambda p: p.replace("\\", "/"))
    assert all(f.suffix == ".py" and "site-packages" not in f.parts for f in files)


def test_file_source_reads_a_file_or_a_folder(tmp_path):
    (tmp_path / "b.txt").write_text("second")
    (tmp_path / "a.txt").write_text("first")
    (tmp_path / "skip.md").write_text("no")
    assert FileSource.default_config().set(path=str(tmp_path / "a.txt")).instantiate().read() == b"first"
    assert FileSource.default_config().set(path=str(tmp_path), suffix=".txt").instantiate().read() == b"first\n\nsecond"


def test_missing_file_source_is_a_data_error_naming_the_field(tmp_path):
    with pytest.raises(DataError, match="data.source.path: no such text file or folder"):
        FileSource.default_config().set(path=str(tmp_path / "nope")).instantiate().read()


def test_byte_tokenizer_round_trips_utf8():
    tok = ByteTokenizer.default_config().instantiate()
    assert tok.decode(tok.encode("déf x():")) == "déf x():"


def test_corpus_hash_identifies_the_text():
    assert dataset().corpus_hash() == dataset().corpus_hash()
    assert dataset().corpus_hash() != dataset(source=SyntheticSource.default_config().set(seed=1)).corpus_hash()
