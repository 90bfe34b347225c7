"""Byte-level text data: sources of text, a tokenizer, and a stateless batch sampler.

A batch is a pure function of ``(seed, step)``: window offsets are drawn from a numpy
generator seeded with both, so a resumed run reads exactly the batches it would have read,
and every process draws the same global batch and keeps its own rows.
"""

from __future__ import annotations

import hashlib
import os
import sysconfig
from pathlib import Path

import numpy as np

from cfgdiff.config import REQUIRED, Configurable, Required
from cfgdiff.errors import CfgdiffError

#: Written between files so the model sees where one file ends and the next begins.
FILE_SEPARATOR = b"\n\n"


class DataError(CfgdiffError):
    """A corpus that cannot be read or is too small; the message names the field path."""


class ByteTokenizer(Configurable):
    """UTF-8 bytes as tokens: a vocabulary of 256, nothing to download or train."""

    vocab_size = 256

    def encode(self, text: str) -> np.ndarray:
        """Token ids (uint8) of ``text``."""
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)

    def decode(self, tokens: np.ndarray | list[int]) -> str:
        """Text of ``tokens``; bytes that are not valid UTF-8 become U+FFFD."""
        return bytes(int(t) for t in tokens).decode("utf-8", errors="replace")


class TextSource(Configurable):
    """Where the text comes from: ``read()`` returns the whole corpus as bytes."""

    def read(self) -> bytes:
        """The corpus, the same bytes on every call and in every process."""
        raise NotImplementedError


class StdlibSource(TextSource):
    """The running Python's own standard library source (``*.py``), found via ``sysconfig``.

    Real, plentiful Python text already on every machine; it differs between Python
    versions, so the trainer records its hash in the run directory.
    """

    class Config(TextSource.Config):
        suffix: str = ".py"
        exclude_dirs: tuple[str, ...] = ("site-packages", "dist-packages", "__pycache__")

    def files(self) -> list[Path]:
        """The files read, sorted by path relative to the standard library's root."""
        root = Path(sysconfig.get_paths()["stdlib"])
        exclude = set(self.config.exclude_dirs)
        found = [p for p in root.rglob(f"*{self.config.suffix}") if exclude.isdisjoint(p.relative_to(root).parts)]
        return sorted(found, key=lambda p: p.relative_to(root).as_posix())

    def read(self) -> bytes:
        return _join_files(self.files())


class FileSource(TextSource):
    """A text file, or every file with ``suffix`` under a folder (sorted by relative path)."""

    class Config(TextSource.Config):
        path: Required[str] = REQUIRED
        suffix: str = ""

    def read(self) -> bytes:
        path = Path(os.path.expanduser(self.config.path))
        if path.is_file():
            return path.read_bytes()
        if not path.is_dir():
            raise DataError(f"data.source.path: no such text file or folder: {path}")
        files = sorted((p for p in path.rglob(f"*{self.config.suffix}") if p.is_file()), key=lambda p: p.relative_to(path).as_posix())
        if not files:
            raise DataError(f"data.source.path: no files ending in {self.config.suffix!r} under {path}")
        return _join_files(files)


class SyntheticSource(TextSource):
    """Deterministic text for tests: numbered lines of a short repeating vocabulary.

    Learnable (the loss falls fast) and identical on every machine and Python version.
    """

    class Config(TextSource.Config):
        num_lines: int = 4000
        seed: int = 0

    def read(self) -> bytes:
        rng = np.random.default_rng(self.config.seed)
        words = ["def", "return", "self", "value", "import", "class", "for", "in", "if", "None"]
        lines = []
        for i in range(self.config.num_lines):
            picked = rng.choice(len(words), size=4)
            lines.append(f"{i % 100:02d} {' '.join(words[j] for j in picked)}\n")
        return "".join(lines).encode()


def _join_files(files: list[Path]) -> bytes:
    return FILE_SEPARATOR.join(p.read_bytes() for p in files)


class TextDataset(Configurable):
    """Random windows of ``seq_len + 1`` tokens: a train split and a held-out eval tail."""

    class Config(Configurable.Config):
        source: TextSource.Config = StdlibSource.default_config()
        tokenizer: ByteTokenizer.Config = ByteTokenizer.default_config()
        seq_len: Required[int] = REQUIRED
        global_batch_size: Required[int] = REQUIRED  # sequences per step, over all processes
        eval_fraction: float = 0.01  # the corpus's last bytes, never trained on
        seed: int = 0

    def __init__(self, cfg: Config) -> None:
        super().__init__(cfg)
        self.source: TextSource = cfg.source.instantiate()
        self.tokenizer: ByteTokenizer = cfg.tokenizer.instantiate()
        self._tokens: np.ndarray | None = None  # read on first use: an AOT compile needs no corpus
        self._hash: str | None = None

    @property
    def tokens(self) -> np.ndarray:
        """The whole corpus as token ids."""
        if self._tokens is None:
            tokens = np.frombuffer(self.source.read(), dtype=np.uint8)
            if len(tokens) < 4 * (self.config.seq_len + 1):
                raise DataError(f"data.source: corpus of {len(tokens)} bytes is too small for data.seq_len={self.config.seq_len}")
            self._tokens = tokens
        return self._tokens

    def corpus_hash(self) -> str:
        """sha256 of the corpus bytes: the stdlib corpus differs between Python versions.

        Hashed once: a resumed run checks it before and after compiling, then records it.
        """
        if self._hash is None:
            self._hash = hashlib.sha256(self.tokens).hexdigest()  # the array's own buffer, not a copy
        return self._hash

    def _split(self) -> int:
        n = len(self.tokens)
        eval_len = max(int(n * self.config.eval_fraction), 2 * (self.config.seq_len + 1))
        return n - eval_len

    def batch(self, step: int, shard: tuple[int, int] = (0, 1)) -> dict[str, np.ndarray]:
        """This process's rows of the global train batch for ``step``: ``inputs`` and ``targets``.

        ``shard`` is ``(process_index, process_count)``.
        """
        c = self.config
        rng = np.random.default_rng([c.seed, step])
        offsets = rng.integers(0, self._split() - c.seq_len - 1, size=c.global_batch_size)
        return self._windows(_rows(offsets, shard))

    def eval_batch(self, index: int, shard: tuple[int, int] = (0, 1)) -> dict[str, np.ndarray]:
        """Eval batch ``index``: consecutive windows of the held-out tail, wrapping around."""
        c = self.config
        start, window = self._split(), c.seq_len + 1
        count = (len(self.tokens) - start) // window
        offsets = start + window * ((index * c.global_batch_size + np.arange(c.global_batch_size)) % count)
        return self._windows(_rows(offsets, shard))

    def _windows(self, offsets: np.ndarray) -> dict[str, np.ndarray]:
        seq = self.tokens[offsets[:, None] + np.arange(self.config.seq_len + 1)].astype(np.int32)
        return {"inputs": seq[:, :-1], "targets": seq[:, 1:]}


def _rows(offsets: np.ndarray, shard: tuple[int, int]) -> np.ndarray:
    index, count = shard
    if len(offsets) % count:
        raise ValueError(f"data.global_batch_size={len(offsets)} does not split over {count} processes")
    per = len(offsets) // count
    return offsets[index * per : (index + 1) * per]
