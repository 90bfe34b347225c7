"""Fuzzing the readers: a few hundred deterministic mutations of real golden files.

The seeds are AXLearn's golden files (``../shared/corpus/axlearn``) and cfgdiff's own
(``golden_configs/``), as canonical text and as JSON, TOML and YAML documents. Each
mutation (truncation, byte flips, deleted separators, unbalanced brackets, NUL bytes,
other encodings, deep nesting, huge numbers, ...) must be read or refused with the
documented one-line error, quickly; what is read must survive ``show`` unchanged; and
comparing a file with itself must refuse exactly what ``show`` refuses.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cfgdiff import canonical, sources
from cfgdiff.cli import main
from cfgdiff.diff import diff
from cfgdiff.errors import CfgdiffError

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT.parent / "shared" / "corpus" / "axlearn").glob("*.txt")) + sorted((ROOT / "golden_configs").glob("*.txt"))
SLOW = 5.0  # seconds: far above any honest read of these files, far below a hang


def _documents(text: str) -> dict[str, bytes]:
    """The fields of one canonical file as JSON, TOML and YAML documents."""
    fields = {path: canonical.format_value(value) for path, value in canonical.loads(text).items()}
    toml = "".join(f"{json.dumps(path)} = {json.dumps(value)}\n" for path, value in fields.items())
    return {
        ".json": json.dumps(fields, indent=1).encode(),
        ".toml": toml.encode(),
        ".yaml": yaml.safe_dump(fields).encode(),
    }


def _lines(data: bytes, rng: random.Random) -> tuple[list[bytes], int]:
    lines = data.split(b"\n")
    return lines, rng.randrange(len(lines))


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _delete_separators(data: bytes, rng: random.Random) -> bytes:
    lines, i = _lines(data, rng)
    for sep in (b": ", b":", b",", b"="):
        lines[i] = lines[i].replace(sep, b"", 1)
    return b"\n".join(lines)


def _unbalance(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + rng.choice([b"[", b"]", b"{", b"(", b"'", b'"']) + data[at:]


def _nul_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + b"\x00" * rng.randint(1, 3) + data[at:]


def _other_encoding(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace") + "\nnote: 'café'\n"
    return rng.choice([text.encode("utf-16"), text.encode("latin-1", "replace"), b"\xef\xbb\xbf" + text.encode()])


def _deep_nesting(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([101, 300, 5000])
    return data + b"\ndeep: " + b"[" * depth + b"]" * depth + b"\n"


def _huge_number(data: bytes, rng: random.Random) -> bytes:
    number = rng.choice([b"9" * 5000, b"0x" + b"f" * 5000, b"1." + b"0" * 5000, b"-" + b"9" * 4300])
    lines, i = _lines(data, rng)
    head = lines[i].partition(b": ")[0] or b"x"
    lines[i] = head + b": " + number
    return b"\n".join(lines)


def _odd_path(data: bytes, rng: random.Random) -> bytes:
    path = rng.choice([b"x[{}]", b"x[[1]]", b"a[" + b"-" * 20_000 + b"1]", b".".join([b"a"] * 150), b"x['a: b']", b" x"])
    return data + b"\n" + path + b": 1\n"


def _duplicate_line(data: bytes, rng: random.Random) -> bytes:
    lines, i = _lines(data, rng)
    return b"\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :])


def _long_line(data: bytes, rng: random.Random) -> bytes:
    return data + b"\nlong: [" + b"1, " * rng.choice([1000, 300_000]) + b"]\n"


def _section_lines(data: bytes, rng: random.Random) -> bytes:
    lines, i = _lines(data, rng)
    lines.insert(i, b"=" * 20 + rng.choice([b"weight_decay_scale root.learner", b"", b"a: b"]) + b"=" * 20)
    return b"\n".join(lines)


MUTATIONS: list[Callable[[bytes, random.Random], bytes]] = [
    _truncate, _flip_bytes, _delete_separators, _unbalance, _nul_bytes, _other_encoding,
    _deep_nesting, _huge_number, _odd_path, _duplicate_line, _long_line, _section_lines,
]


def cases() -> Iterator[tuple[str, bytes]]:
    """(file name, content): every seed, and each mutation of it, as text and as documents."""
    rng = random.Random(11)
    for seed in SEEDS:
        data = seed.read_bytes()
        stem = seed.name.replace("@", "-").removesuffix(".txt")
        variants = {".txt": data}
        if seed.parent.name == "golden_configs" or "fuji" not in seed.name:  # documents of the smaller seeds
            variants.update(_documents(data.decode()))
        for suffix, content in variants.items():
            yield f"{stem}{suffix}", content
            for mutate in MUTATIONS:
                if suffix != ".txt" and mutate in (_long_line, _section_lines, _odd_path):
                    continue
                yield f"{stem}-{mutate.__name__.strip('_')}{suffix}", mutate(content, rng)


CASES = list(cases())


def test_the_fuzz_corpus_has_a_few_hundred_cases():
    if not SEEDS:
        pytest.skip("no seed files")
    assert 300 <= len(CASES) <= 1000


def _read(name: str, folder: Path) -> canonical.FlatConfig | CfgdiffError:
    try:
        return sources.resolve(name, cwd=folder)
    except CfgdiffError as e:
        return e


def test_every_mutation_is_read_or_refused_in_one_line_and_quickly(tmp_path):
    slow, refused = [], 0
    for name, content in CASES:
        (tmp_path / name).write_bytes(content)
        start = time.perf_counter()
        found = _read(name, tmp_path)
        if isinstance(found, CfgdiffError):
            refused += 1
            message = str(found)
            assert message.startswith(name) and "\n" not in message, (name, message)
        else:
            text = canonical.dumps(found)
            assert canonical.loads(text, name) == found, name  # what show writes reads back the same
        # Comparing a file with itself refuses exactly what reading it refuses.
        try:
            same = diff(sources.read(name, cwd=tmp_path), sources.read(name, cwd=tmp_path))
        except CfgdiffError:
            assert isinstance(found, CfgdiffError), f"{name}: diff refused what show reads"
        else:
            assert not isinstance(found, CfgdiffError), f"{name}: diff accepted what show refuses: {found}"
            assert not same, name
        if time.perf_counter() - start > SLOW:
            slow.append(name)
        (tmp_path / name).unlink()
    assert not slow
    assert 0 < refused < len(CASES)  # the mutations exercise both outcomes


def _outcome(read: Callable[[str, str], canonical.FlatConfig], text: str, name: str) -> canonical.FlatConfig | str:
    try:
        return read(text, name)
    except CfgdiffError as e:
        return str(e)


def test_the_column_reader_reads_every_mutation_as_the_line_by_line_reader_does():
    read = 0
    for name, content in CASES:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not name.endswith(".txt"):
            continue
        found = _outcome(canonical.loads, text, name)
        assert found == _outcome(canonical._read_lines, text, name), name
        if not isinstance(found, str):
            read += 1
            assert canonical.normalize(text, name) == canonical.dumps(found), name
    assert read > 50


def test_a_sample_through_the_command_line_exits_0_1_or_2_with_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for name, content in CASES[::9]:
        (tmp_path / name).write_bytes(content)
        (tmp_path / ("other-" + name)).write_bytes(content[: len(content) // 2])
        for args in (["show", name], [name, name], [name, "other-" + name]):
            result = runner.invoke(main, args)
            assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
            assert result.exit_code in (0, 1, 2), args
            if result.exit_code == 2:
                assert result.stderr.startswith("cfgdiff: error: ") and result.stderr.count("\n") == 1, (args, result.stderr)


@pytest.mark.parametrize("content", [b"[" * 3000 + b"]" * 3000, b'{"a": ' + b"1" * 5000 + b"}"])
def test_the_installed_command_refuses_the_worst_inputs_without_a_traceback(tmp_path, content):
    (tmp_path / "bad.json").write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "cfgdiff", "show", "bad.json"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("cfgdiff: error: bad.json") and proc.stderr.count("\n") == 1
