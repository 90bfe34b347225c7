"""SOURCE arguments: files, documents, run directories, git revisions, recipes, functions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfgdiff.canonical import FlatConfig, Raw, dumps, loads
from cfgdiff.diff import Text
from cfgdiff.sources import SourceError, flatten_document, read, resolve
from tests.conftest import git

CANONICAL = "model.dim: 8\nmodel.name: 'tiny'\nsteps: 10\n"


def test_a_canonical_file_is_read_as_text_labelled_by_its_argument(tmp_path):
    (tmp_path / "a.txt").write_text(CANONICAL)
    found = read("a.txt", cwd=tmp_path)
    assert found == Text(CANONICAL, "a.txt")


def test_resolve_returns_a_flat_config_with_its_source(tmp_path):
    (tmp_path / "a.txt").write_text(CANONICAL)
    flat = resolve("a.txt", cwd=tmp_path)
    assert isinstance(flat, FlatConfig)
    assert flat == {"model.dim": 8, "model.name": "tiny", "steps": 10}
    assert flat.source == "a.txt"


def test_a_run_directory_means_its_config_txt(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.txt").write_text(CANONICAL)
    assert resolve("run", cwd=tmp_path).source == "run/config.txt"


def test_a_directory_without_config_txt_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="a directory without config.txt"):
        read("empty", cwd=tmp_path)


def test_json_toml_and_yaml_flatten_to_canonical_paths(tmp_path):
    (tmp_path / "c.json").write_text('{"model": {"dim": 8, "name": "tiny"}, "steps": 10}')
    (tmp_path / "c.toml").write_text('steps = 10\n[model]\ndim = 8\nname = "tiny"\n')
    (tmp_path / "c.yaml").write_text("model:\n  dim: 8\n  name: tiny\nsteps: 10\n")
    expected = resolve("c.json", cwd=tmp_path)
    assert expected == {"model.dim": 8, "model.name": "tiny", "steps": 10}
    assert resolve("c.toml", cwd=tmp_path) == expected
    assert resolve("c.yaml", cwd=tmp_path) == expected


def test_documents_use_dict_keys_indices_and_keep_empty_containers():
    flat = flatten_document({"evalers": {"eval set": {"n": 1}}, "shape": [2, [3, 4]], "tags": [], "opts": {}})
    assert list(flat.items()) == [
        ("evalers['eval set'].n", 1),
        ("opts", {}),
        ("shape[0]", 2),
        ("shape[1][0]", 3),
        ("shape[1][1]", 4),
        ("tags", []),
    ]


def test_toml_dates_are_kept_as_text():
    import datetime

    assert flatten_document({"when": datetime.date(2024, 1, 2)}) == {"when": Raw("2024-01-02")}


def test_invalid_json_names_the_line(tmp_path):
    (tmp_path / "bad.json").write_text('{\n  "a": 1,\n}\n')
    with pytest.raises(SourceError, match=r"^bad.json:3: invalid JSON"):
        read("bad.json", cwd=tmp_path)


def test_yaml_without_pyyaml_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "c.yml").write_text("a: 1\n")
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(SourceError, match=r"reading YAML needs PyYAML: pip install 'cfgdiff\[yaml\]'"):
        read("c.yml", cwd=tmp_path)


def test_a_document_must_be_a_mapping_or_list(tmp_path):
    (tmp_path / "n.json").write_text("3")
    with pytest.raises(SourceError, match="must be a mapping or a list, not int"):
        read("n.json", cwd=tmp_path)


def test_a_binary_file_is_not_a_config(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SourceError, match="not a text file"):
        read("b.txt", cwd=tmp_path)


def test_a_missing_file_says_what_was_tried(tmp_path):
    with pytest.raises(SourceError, match=r"^missing.txt: not a config source \(no such file or directory\)$"):
        read("missing.txt", cwd=tmp_path)


# -- git revisions ----------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    (tmp_path / "golden").mkdir()
    (tmp_path / "golden" / "a.txt").write_text("x: 1\n")
    (tmp_path / "c.json").write_text('{"x": 1}')
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    (tmp_path / "golden" / "a.txt").write_text("x: 2\n")
    return tmp_path


def test_rev_path_reads_a_file_at_a_git_revision(repo):
    assert read("HEAD:golden/a.txt", cwd=repo) == Text("x: 1\n", "HEAD:golden/a.txt")
    assert resolve("golden/a.txt", cwd=repo) == {"x": 2}


def test_rev_path_flattens_documents_too(repo):
    assert resolve("HEAD:c.json", cwd=repo) == {"x": 1}


def test_rev_path_with_a_missing_file_names_the_revision(repo):
    with pytest.raises(SourceError, match=r"^HEAD:golden/b.txt: no file 'golden/b.txt' at revision HEAD$"):
        read("HEAD:golden/b.txt", cwd=repo)


def test_an_unknown_revision_is_not_taken_for_a_file(repo):
    with pytest.raises(SourceError, match=r"'nosuchrev' is not a git revision here"):
        read("nosuchrev:golden/a.txt", cwd=repo)


def test_a_revision_spelled_like_an_option_is_looked_up_not_passed_as_one(repo):
    with pytest.raises(SourceError, match=r"^--output=x:a.txt: not a config source \(no such file or directory; '--output=x' is not a git revision here\)$"):
        read("--output=x:a.txt", cwd=repo)
    assert not (repo / "x").exists()


def test_a_mistyped_branch_before_a_recipe_names_both_readings(repo):
    with pytest.raises(SourceError, match=r"^master2:tiny_lm: not a config source \(.*'master2' is not a git revision here; no module named 'master2'\)$"):
        read("master2:tiny_lm", cwd=repo)


# -- code: module:function, recipes ------------------------------------------------------


def test_module_function_builds_the_config(project):
    root = project({"PKG/__init__.py": "from cfgdiff import Config\n\ndef f(n=1):\n    return n\n\ndef make():\n    return Config(f, n=3)\n"})
    package = next(p.name for p in root.iterdir() if p.name.startswith("recipes_"))
    found = read(f"{package}:make", cwd=root)
    assert isinstance(found, Text)
    assert f"fn: {package}.f\n" in found.text and "n: 3\n" in found.text


def test_module_function_import_failure_is_one_line_naming_the_module(project):
    root = project()
    with pytest.raises(SourceError, match=r"no_such_module_xyz:make: .*; no module named 'no_such_module_xyz'\)") as info:
        read("no_such_module_xyz:make", cwd=root)
    assert "\n" not in str(info.value)


def test_a_recipe_name_builds_the_recipe(project):
    root = project()
    found = read("beta-wide", cwd=root)
    assert found.source == "recipe beta-wide"
    assert "dim: 16" in found.text


def test_an_unknown_name_lists_what_was_tried_with_a_suggestion(project):
    root = project()
    with pytest.raises(SourceError, match=r"^alpah: not a config source \(no such file or directory; unknown recipe 'alpah' \(did you mean 'alpha'\?\)"):
        read("alpah", cwd=root)


# -- input limits and awkward documents (issue 11) -------------------------------------


def _show(tmp_path: Path, name: str, content: str | bytes) -> FlatConfig:
    file = tmp_path / name
    file.write_bytes(content if isinstance(content, bytes) else content.encode())
    return resolve(name, cwd=tmp_path)


@pytest.mark.parametrize("name, content", [
    ("deep.json", "[" * 2000 + "]" * 2000),
    ("deep.toml", "a = " + "[" * 2000 + "]" * 2000),
    ("deep.yaml", "a: " + "[" * 2000 + "]" * 2000),
    ("deep101.json", "[" * 101 + "1" + "]" * 101),
])
def test_deep_nesting_is_refused_in_one_line(tmp_path, name, content):
    with pytest.raises(SourceError, match=f"{name}: nested more than 100 levels deep"):
        _show(tmp_path, name, content)


def test_nesting_up_to_the_limit_is_read(tmp_path):
    assert _show(tmp_path, "ok.json", "[" * 100 + "1" + "]" * 100) == {"[0]" * 100: 1}


def test_a_recursive_yaml_alias_is_refused(tmp_path):
    with pytest.raises(SourceError, match=r"r.yaml: a\[1\] contains itself"):
        _show(tmp_path, "r.yaml", "a: &x [1, *x]\n")


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(SourceError, match="bomb.yaml: expands to more than 10,000 fields"):
        _show(tmp_path, "bomb.yaml", "\n".join(levels))


def test_yaml_aliases_that_expand_modestly_are_read(tmp_path):
    flat = _show(tmp_path, "ok.yaml", "base: &b {lr: 0.1}\nx: *b\ny: *b\n")
    assert flat == {"base.lr": 0.1, "x.lr": 0.1, "y.lr": 0.1}


@pytest.mark.parametrize("name, content, where", [
    ("big.json", '{"a": 1,\n "b": ' + "1" * 5000 + "}", "big.json:2"),
    ("big.yaml", "a: 1\nb: " + "1" * 5000, "big.yaml:2"),
    ("hex.toml", "a = 0x" + "f" * 5000, "hex.toml: a"),
    ("hex.yaml", "a: 0x" + "f" * 5000, "hex.yaml: a"),
])
def test_integers_past_pythons_digit_limit_are_refused_with_their_place(tmp_path, name, content, where):
    with pytest.raises(SourceError, match=f"{where}: an integer of more than 4,300 digits"):
        _show(tmp_path, name, content)


@pytest.mark.parametrize("name, content", [("e.json", "[]"), ("o.json", "{}"), ("e.toml", ""), ("e.yaml", "")])
def test_an_empty_document_is_an_empty_config(tmp_path, name, content):
    flat = _show(tmp_path, name, content)
    assert flat == {}
    assert dumps(flat) == ""


def test_keys_holding_the_line_separator_round_trip_through_show(tmp_path):
    flat = _show(tmp_path, "a.json", '{"a: b": 1, "x": {"c: d": [2]}}')
    text = dumps(flat)
    assert text == "x['c\\x3a d'][0]: 2\n['a\\x3a b']: 1\n"
    assert loads(text) == flat


def test_yaml_sets_are_written_in_sorted_order_whatever_the_hash_seed(tmp_path):
    (tmp_path / "s.yaml").write_text("x: !!set {b, a, c, '1'}\n")
    outputs = set()
    for seed in ("1", "2", "3"):
        proc = subprocess.run([sys.executable, "-m", "cfgdiff", "show", "s.yaml"], cwd=tmp_path, capture_output=True,
                              text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.add(proc.stdout)
    assert outputs == {"x: {'1', 'a', 'b', 'c'}\n"}


def test_a_fifo_is_named_as_such(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(SourceError, match=r"pipe.txt: a named pipe \(FIFO\), not a file"):
        read("pipe.txt", cwd=tmp_path)


_KEYS = st.text(alphabet="ab_: .x'\"[]\\\n#=", max_size=5)
_DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=3),
    max_leaves=15,
).filter(lambda d: isinstance(d, (dict, list)))


@settings(max_examples=200, deadline=None)
@given(_DOCUMENTS)
def test_every_document_round_trips_through_show(document):
    flat = flatten_document(document)
    text = dumps(flat)
    assert loads(text) == flat
    assert dumps(loads(text)) == text
