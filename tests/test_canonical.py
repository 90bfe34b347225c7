"""Canonical text: writing config trees, and reading text back without running code."""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfgdiff import canonical
from cfgdiff.canonical import CanonicalError, FlatConfig, ParseError, Raw, Symbol, dumps, loads
from cfgdiff.config import REQUIRED, Config, Configurable, Partial

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "axlearn"


class Optimizer:
    def __init__(self, learning_rate: float, momentum: float = 0.9) -> None:
        self.learning_rate = learning_rate


def node(**kwargs):
    return kwargs


def scale(x, factor=2.0):
    return x * factor


class Color(enum.Enum):
    RED = 1


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


class Pair(NamedTuple):
    left: int
    right: str


class Layer(Configurable):
    class Config(Configurable.Config):
        dim: int = 4


# -- writing --------------------------------------------------------------------------


def test_dumps_writes_one_sorted_line_per_field_with_the_target():
    text = dumps(Config(Optimizer, learning_rate=0.1))
    assert text == f"klass: {__name__}.Optimizer\nlearning_rate: 0.1\nmomentum: 0.9\n"


def test_function_configs_write_fn_and_partials_write_partial():
    assert f"fn: {__name__}.scale\n" in dumps(Config(scale, x=1))
    assert f"partial: {__name__}.scale\n" in dumps(Partial(scale))


def test_list_indices_sort_numerically():
    text = dumps(Config(node, layers=list(range(11))))
    lines = text.splitlines()
    assert lines.index("layers[2]: 2") < lines.index("layers[10]: 10")


def test_paths_for_nested_configs_lists_and_dicts():
    cfg = Config(node, evalers={"eval": Config(node, n=1)}, mesh=[(1, 2)])
    flat = canonical.flatten(cfg)
    assert list(flat) == ["evalers['eval'].fn", "evalers['eval'].n", "fn", "mesh[0][0]", "mesh[0][1]"]


@pytest.mark.parametrize(
    "value, text",
    [
        (None, "None"),
        (True, "True"),
        (False, "False"),
        (-3, "-3"),
        (1e-08, "1e-08"),
        (500000.0, "500000.0"),
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
        ("it's", '"it\'s"'),
        (b"\x00", "b'\\x00'"),
        ([], "[]"),
        ((), "()"),
        ({}, "{}"),
        (REQUIRED, "REQUIRED"),
    ],
)
def test_values_are_written_as_python_spells_them(value, text):
    assert dumps(Config(node, v=value)).splitlines()[-1] == f"v: {text}"


def test_classes_functions_and_enums_are_unquoted_import_names():
    flat = canonical.flatten(Config(node, cls=Optimizer, fn_=scale, color=Color.RED, builtin=len))
    assert flat["cls"] == Symbol(f"{__name__}.Optimizer")
    assert flat["fn_"] == Symbol(f"{__name__}.scale")
    assert flat["color"] == Symbol(f"{__name__}.Color.RED")
    assert flat["builtin"] == Symbol("len")


def test_library_functions_are_named_by_their_public_module():
    optax = pytest.importorskip("optax")
    assert canonical.flatten(Config(optax.adamw))["fn"] == Symbol("optax.adamw")


def test_dtypes_are_named_through_jax_numpy():
    jnp = pytest.importorskip("jax.numpy")
    import numpy as np

    flat = canonical.flatten(Config(node, a=jnp.bfloat16, b=jnp.float32, c=np.dtype("int8"), d=np.float32(0.5)))
    assert flat["a"] == Symbol("jax.numpy.bfloat16")
    assert flat["b"] == Symbol("jax.numpy.float32")
    assert flat["c"] == Symbol("numpy.int8")
    assert flat["d"] == 0.5


def test_partition_spec_is_spelled_the_same_across_jax_versions():
    jax = pytest.importorskip("jax")
    flat = canonical.flatten(Config(node, spec=jax.sharding.PartitionSpec("data", ("fsdp", "model"), None)))
    assert flat["spec.klass"] == Symbol("jax.sharding.PartitionSpec")
    assert (flat["spec.args[0]"], flat["spec.args[1][1]"], flat["spec.args[2]"]) == ("data", "model", None)


def test_dataclasses_named_tuples_and_partials_expand_into_fields():
    flat = canonical.flatten(
        Config(node, p=Point(1), pair=Pair(2, "x"), part=functools.partial(scale, 3.0, factor=4.0))
    )
    assert flat["p.klass"] == Symbol(f"{__name__}.Point") and flat["p.y"] == 0
    assert flat["pair.klass"] == Symbol(f"{__name__}.Pair") and flat["pair.right"] == "x"
    assert flat["part.partial"] == Symbol(f"{__name__}.scale")
    assert flat["part.args[0]"] == 3.0 and flat["part.factor"] == 4.0


class Celsius:
    def __init__(self, degrees: float) -> None:
        self.degrees = degrees


class Mesh:
    def __init__(self, shape: tuple) -> None:
        self.shape = shape


def test_registered_formatters_name_foreign_values_as_a_leaf_or_as_fields(monkeypatch):
    monkeypatch.setattr(canonical, "_FORMATTERS", dict(canonical._FORMATTERS))
    canonical.register_formatter(Celsius, lambda c: f"{c.degrees}C")
    canonical.register_formatter(Mesh, lambda m: {"shape": m.shape})
    flat = canonical.flatten(Config(node, temp=Celsius(21.5), mesh=Mesh((2, 4))))
    assert flat["temp"] == "21.5C"
    assert flat["mesh.klass"] == Symbol(f"{__name__}.Mesh")
    assert (flat["mesh.shape[0]"], flat["mesh.shape[1]"]) == (2, 4)


def test_configurable_configs_write_their_klass_field():
    assert dumps(Layer.default_config()) == f"dim: 4\nklass: {__name__}.Layer\n"


@pytest.mark.parametrize(
    "value, message",
    [
        (lambda x: x, "a lambda"),
        (Optimizer(0.1).__init__, "bound method"),
        (object(), "cannot write a value of type builtins.object"),
        ({1, 2}, "sets have no canonical order"),
    ],
)
def test_values_without_a_deterministic_name_are_errors_naming_the_path(value, message):
    with pytest.raises(CanonicalError, match=message) as error:
        dumps(Config(node, inner=Config(node, bad=value)))
    assert str(error.value).startswith("inner.bad: ")


def test_local_classes_are_refused():
    class Local:
        pass

    with pytest.raises(CanonicalError, match=r"^x: .*Local has no import name"):
        dumps(Config(node, x=Local))


def test_a_cycle_is_an_error():
    cfg = Config(node)
    cfg.self_ = [cfg]
    with pytest.raises(CanonicalError, match="cycle"):
        dumps(cfg)


def test_dict_keys_holding_the_separator_are_written_escaped_and_read_back():
    text = dumps({"a: b": 1, "c\nd": 2})
    assert text == "['a\\x3a b']: 1\n['c\\nd']: 2\n"
    assert loads(text) == {"['a\\x3a b']": 1, "['c\\nd']": 2}
    assert dumps(loads(text)) == text


def test_header_is_written_as_comment_lines():
    text = dumps(Config(scale), header="recipe x\nregenerate: cfgdiff golden update x")
    assert text.startswith("# recipe x\n# regenerate: cfgdiff golden update x\n")


def test_dumps_of_a_flat_config_sorts_it_canonically():
    flat = loads("b: 1\na[10]: 2\na[2]: 3\n")
    assert dumps(flat) == "a[2]: 3\na[10]: 2\nb: 1\n"


# -- reading --------------------------------------------------------------------------


def test_loads_keeps_strings_symbols_ints_and_floats_apart():
    flat = loads("a: 'foo'\nb: foo\nc: 1\nd: '1'\ne: 1.0\nf: foo.bar\n")
    assert flat == {"a": "foo", "b": Symbol("foo"), "c": 1, "d": "1", "e": 1.0, "f": Symbol("foo.bar")}
    assert type(flat["c"]) is int and type(flat["e"]) is float


def test_loads_reads_special_floats_and_empty_containers():
    flat = loads("a: nan\nb: -inf\nc: []\nd: ()\ne: {}\n")
    assert math.isnan(flat["a"]) and flat["b"] == float("-inf")
    assert (flat["c"], flat["d"], flat["e"]) == ([], (), {})


def test_loads_keeps_non_literal_values_as_raw_text():
    flat = loads("spec: PartitionSpec(('data', 'fsdp'),)\n")
    assert flat["spec"] == Raw("PartitionSpec(('data', 'fsdp'),)")


def test_loads_never_executes_code(tmp_path):
    marker = tmp_path / "ran"
    text = f"a: __import__('os').system('touch {marker}')\nb: (lambda: 1)()\n"
    flat = loads(text)
    assert isinstance(flat["a"], Raw) and isinstance(flat["b"], Raw)
    assert not marker.exists()


def test_loads_skips_blank_lines_and_comments():
    assert loads("# header\n\na: 1\n") == {"a": 1}


def test_loads_reads_paths_up_to_the_first_separator():
    flat = loads("x.path_rank_to_partition[(None, 1)]: 2\ndecoder/emb/weight: normal(0, 1.0)\n")
    assert flat["x.path_rank_to_partition[(None, 1)]"] == 2
    assert flat["decoder/emb/weight"] == Raw("normal(0, 1.0)")


def test_a_line_without_separator_is_an_error_with_file_and_line():
    with pytest.raises(ParseError, match=r"^golden\.txt:2: expected 'path: value'"):
        loads("a: 1\nnot a field\n", source="golden.txt")


def test_a_path_given_twice_is_an_error():
    with pytest.raises(ParseError, match=r"^<string>:2: field 'a' appears twice"):
        loads("a: 1\na: 2\n")


def test_an_empty_path_is_an_error():
    with pytest.raises(ParseError, match=":1: missing field path"):
        loads(": 1\n")


def test_load_names_the_file_in_errors(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("oops\n")
    with pytest.raises(ParseError, match=f"^{path}:1:"):
        canonical.load(path)


def test_flat_config_equality_is_type_strict():
    assert FlatConfig(a=1) != FlatConfig(a=True)
    assert FlatConfig(a=1) != FlatConfig(a=1.0)
    assert FlatConfig(a=float("nan")) == FlatConfig(a=float("nan"))
    assert FlatConfig(a=Symbol("x")) != FlatConfig(a="x")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/axlearn is not present")
@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")) if CORPUS.is_dir() else [])
def test_every_axlearn_golden_file_loads_and_survives_a_round_trip(name):
    text = (CORPUS / name).read_text()
    flat = canonical.load(CORPUS / name)
    assert len(flat) == len([line for line in text.splitlines() if line])
    assert loads(dumps(flat)) == flat


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/axlearn is not present")
def test_axlearn_values_are_typed():
    flat = canonical.load(CORPUS / "LogisticRegression@34aed43c.txt")
    assert flat["evalers['eval'].eval_dtype"] == "jax.numpy.float32"  # AXLearn quotes names: a string
    assert flat["checkpointer.keep_last_n"] == 1


# -- atomic writes --------------------------------------------------------------------


def test_dump_writes_the_file(tmp_path):
    path = tmp_path / "cfg.txt"
    canonical.dump(Config(scale, x=1), path)
    assert canonical.load(path)["x"] == 1


def test_dump_gives_new_files_the_usual_permissions_and_keeps_existing_ones(tmp_path):
    fresh, existing = tmp_path / "fresh.txt", tmp_path / "existing.txt"
    existing.write_text("x: 1\n")
    os.chmod(existing, 0o640)
    umask = os.umask(0o022)
    try:
        canonical.write_text_atomic(fresh, "x: 1\n")
        canonical.write_text_atomic(existing, "x: 2\n")
    finally:
        os.umask(umask)
    assert (fresh.stat().st_mode & 0o777, existing.stat().st_mode & 0o777) == (0o644, 0o640)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "cfg.txt"
    path.write_text("x: 1\n")

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        canonical.write_text_atomic(path, "x: 2\n")
    assert path.read_text() == "x: 1\n"
    assert os.listdir(tmp_path) == ["cfg.txt"]


# -- properties -----------------------------------------------------------------------

_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(lambda n: n != "fn")
_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.binary(max_size=8)
    | st.sampled_from([Optimizer, scale, Color.RED, REQUIRED, len])
    | st.sampled_from([[], (), {}])
)
_keys = st.text(max_size=6).filter(lambda k: ": " not in repr(k)) | st.integers(-5, 5) | st.tuples(st.none(), st.integers(0, 3))


def _trees(leaves):
    def extend(children):
        return (
            st.lists(children, min_size=1, max_size=4)
            | st.lists(children, min_size=1, max_size=4).map(tuple)
            | st.dictionaries(_keys, children, min_size=1, max_size=4)
            | st.dictionaries(_names, children, max_size=5).map(lambda fields: Config(node, **fields))
        )

    return st.recursive(leaves, extend, max_leaves=25)


_configs = st.dictionaries(_names, _trees(_leaves), max_size=6).map(lambda fields: Config(node, **fields))


@settings(max_examples=200, deadline=None)
@given(_configs)
def test_loads_of_dumps_equals_the_flat_dict(cfg):
    assert loads(dumps(cfg)) == canonical.flatten(cfg)


@settings(max_examples=200, deadline=None)
@given(_configs)
def test_dumps_of_loads_is_the_same_text(cfg):
    text = dumps(cfg)
    assert dumps(loads(text)) == text


_DETERMINISM_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from test_canonical import Config, node, Optimizer, Color
    cfg = Config(node, by_name={{k: Config(node, w=k, s={{k, 'x'}} and sorted({{k, 'x'}})) for k in 'zyxwvutsrq'}},
                 items=[{{('a', 1): 1.5, 'b': None}}, Optimizer, Color.RED], nested=Config(Optimizer, learning_rate=1e-3))
    from cfgdiff.canonical import dumps
    sys.stdout.write(dumps(cfg))
    """
)


def test_dumps_gives_identical_bytes_under_different_hash_seeds():
    script = _DETERMINISM_SCRIPT.format(tests=str(Path(__file__).parent))
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outputs.add(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True).stdout)
    assert len(outputs) == 1
    assert b"by_name['q'].s[0]: 'q'" in outputs.pop()


# -- AXLearn's per-parameter golden files and input limits (issue 11) -------------------

REGULARIZER = """\
====================weight_decay_scale root.learner====================
decoder/emb/token_emb/weight: 1
decoder/output_norm/scale: 0
====================l2_regularizer_scale root.learner====================
decoder/emb/token_emb/weight: 0

"""


def test_section_lines_scope_the_paths_after_them():
    assert loads(REGULARIZER) == {
        "['weight_decay_scale root.learner']/decoder/emb/token_emb/weight": 1,
        "['weight_decay_scale root.learner']/decoder/output_norm/scale": 0,
        "['l2_regularizer_scale root.learner']/decoder/emb/token_emb/weight": 0,
    }


def test_a_sectioned_file_round_trips_through_dumps():
    flat = loads(REGULARIZER)
    assert loads(dumps(flat)) == flat


def test_a_changed_section_line_changes_its_fields():
    renamed = REGULARIZER.replace("weight_decay_scale root.learner", "weight_decay_scale root.learner2")
    assert set(loads(renamed)) != set(loads(REGULARIZER))


def test_an_integer_past_the_digit_limit_is_a_parse_error_with_its_line():
    with pytest.raises(ParseError, match=r"f.txt:2: b: an integer of more than 4,300 digits"):
        loads("a: 1\nb: " + "9" * 4301 + "\n", source="f.txt")


def test_a_long_hex_integer_is_refused_rather_than_failing_when_shown():
    with pytest.raises(ParseError, match=r"f.txt:1: a: an integer of more than 4,300 digits"):
        loads("a: 0x" + "f" * 5000, source="f.txt")


def test_an_integer_at_the_digit_limit_is_read():
    assert loads("a: " + "9" * 4300)["a"] == int("9" * 4300)


def test_a_value_too_long_to_parse_is_kept_as_text():
    value = "[" + ", ".join(["1"] * 60_000) + "]"
    assert loads("a: " + value)["a"] == Raw(value)


def test_an_unhashable_dict_key_in_a_path_is_a_parse_error_with_its_line():
    with pytest.raises(ParseError, match=r"f.txt:1: not a field path: 'x\[\{\}\]'"):
        loads("x[{}]: 1\n", source="f.txt")


def test_a_path_deeper_than_the_limit_is_a_parse_error():
    with pytest.raises(ParseError, match="f.txt:1: field path .* has more than 100 segments"):
        loads(".".join(["a"] * 101) + ": 1\n", source="f.txt")


def test_an_empty_config_dumps_as_an_empty_file():
    assert dumps(FlatConfig()) == ""


@pytest.mark.parametrize("value", [42, "x", None, 1.5])
def test_a_value_with_no_fields_is_not_a_config(value):
    with pytest.raises(CanonicalError, match=r"<root>: .* is not a config"):
        dumps(value)


@pytest.mark.parametrize("value", [[], {}, ()])
def test_an_empty_container_is_an_empty_config(value):
    assert dumps(value) == ""


# -- the column reader reads as the line reader does -----------------------------------

_text_paths = st.sampled_from(["a", "b.c", "b.d[0]", "b.d[10]", "b.d[9]", "x['k']", "x['k z']", "z[{}]", "y ", " y", "a_b",
                               "é", "[0]", "m" * 250, "w\t", "#c", "=t="])
_text_values = st.sampled_from(["1", "'x'", "a.b", "[1, 2]", "", "x: y", "{'a': 1}", "1e-8", '"q"', "9" * 4301, "0x" + "f" * 4000,
                                "(1, [2])", "None", "  1"])
_text_lines = (
    st.tuples(_text_paths, st.sampled_from([": ", ":", " : ", ""]), _text_values).map("".join)
    | st.sampled_from(["", "# note", "   ", "====section====", "\r", "a: 1\x0bb: 2"])
)


def _read(reader, text):
    try:
        return reader(text, "<t>")
    except canonical.ParseError as e:
        return str(e)


@settings(max_examples=400, deadline=None)
@given(st.lists(_text_lines, max_size=12).map("\n".join))
def test_loads_reads_any_text_as_the_line_by_line_reader_does(text):
    read = _read(loads, text)
    assert read == _read(canonical._read_lines, text)
    if not isinstance(read, str):
        assert read.source == "<t>"
        assert canonical.normalize(text) == dumps(read)


def test_normalize_keeps_canonical_text_and_mends_the_rest():
    text = "a: 1\nb.c[2]: 'x'\nb.c[10]: 'y'\n"
    assert canonical.normalize("# header\n\n" + text) == text
    assert canonical.normalize("b.c[10]: \"y\"\na: 1\nb.c[2]: 'x'\n") == text
    assert canonical.normalize("") == ""
