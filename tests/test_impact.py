"""Impact figures: the reference trainer's and AXLearn's, registration, lazy lookups, formatting."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from cfgdiff import canonical, impact
from cfgdiff.canonical import FlatConfig, Symbol
from cfgdiff.impact import Figure, FigureChange, LinesView, changes, figures
from cfgdiff.lines import Lines

GOLDEN = Path(__file__).resolve().parents[1] / "golden_configs"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "axlearn"
RECIPES = ("tiny_lm", "small_lm", "gpt2_small", "llama_1b", "llama_7b")


def golden(name: str) -> FlatConfig:
    return canonical.load(GOLDEN / f"{name}.txt")


def corpus(name: str) -> FlatConfig:
    if not CORPUS.is_dir():
        pytest.skip("the AXLearn corpus (../shared/corpus/axlearn) is not here")
    return canonical.load(CORPUS / f"{name}.txt")


def by_name(flat: Mapping[str, Any]) -> dict[str, Figure]:
    return {f.name: f for f in figures(flat)}


def edited(flat: FlatConfig, **fields: Any) -> FlatConfig:
    out = FlatConfig(flat)
    for path, value in fields.items():
        out[path.replace("__", ".")] = value
    return out


def mesh(flat: FlatConfig, *shape: int) -> FlatConfig:
    return edited(flat, **{f"mesh_shape[{i}]": s for i, s in enumerate(shape)})


@pytest.fixture
def registered() -> Iterator[None]:
    """Impacts registered by a test are forgotten after it."""
    saved = dict(impact._IMPACTS)
    yield
    impact._IMPACTS.clear()
    impact._IMPACTS.update(saved)


# -- the reference trainer ---------------------------------------------------------------


@pytest.mark.parametrize("name", RECIPES)
def test_parameters_match_the_models_own_count(name):
    from cfgdiff.registry import discover

    cfg = discover(GOLDEN.parent)[name].build()
    assert by_name(golden(name))["parameters"].value == cfg.model.instantiate().param_count()


def test_flops_per_step_count_the_models_matmuls_and_causal_attention():
    from cfgdiff.registry import discover

    cfg = discover(GOLDEN.parent)["llama_1b"].build()
    model, seq, batch = cfg.model.instantiate(), cfg.data.seq_len, cfg.data.global_batch_size
    causal_attention = 6.0 * cfg.model.num_layers * seq * cfg.model.num_heads * model.head_dim  # half of 12·L·T·width
    expected = (model.flops_per_token(0) + causal_attention) * seq * batch
    assert by_name(golden("llama_1b"))["FLOPs per step"].value == pytest.approx(expected)


def test_a_smaller_batch_reads_as_a_ratio():
    old = golden("tiny_lm")
    (change,) = [c for c in changes(old, edited(old, data__global_batch_size=8)) if c.name == "tokens per step"]
    assert str(change) == "tokens per step  1,024 -> 512  (÷2)"


def test_only_figures_that_moved_are_changes():
    old = golden("llama_1b")
    assert changes(old, edited(old, seed=7)) == []
    names = [c.name for c in changes(old, edited(old, model__num_layers=32))]
    assert names == ["parameters", "FLOPs per step", "memory per device"]


def test_batch_per_device_and_devices_where_the_mesh_is_fixed():
    fixed = by_name(mesh(golden("tiny_lm"), 4, 2, 1))
    assert fixed["batch per device"].value == 2  # 16 over data=4 x fsdp=2
    assert fixed["devices"].value == 8


def test_a_minus_one_mesh_says_all_devices_and_gives_no_batch_per_device():
    found = by_name(golden("llama_7b"))
    assert found["devices"].text == "all devices (mesh_shape has -1)"
    assert "batch per device" not in found
    assert by_name(mesh(golden("llama_7b"), 1, -1, 4))["devices"].text == "all devices, a multiple of 4 (mesh_shape has -1)"


@pytest.mark.parametrize("kv_heads, kind", [(32, "MHA, 32 heads"), (8, "GQA, 32 query / 8 KV heads"), (1, "MQA, 32 query / 1 KV heads")])
def test_attention_kind_from_query_and_kv_heads(kv_heads, kind):
    flat = edited(golden("llama_1b"), model__num_kv_heads=kv_heads, model__attention_impl="cudnn")
    assert by_name(flat)["attention"].value == f"{kind}, cudnn"


def test_memory_per_device_shrinks_with_fsdp_and_with_remat():
    base = golden("llama_1b")
    one = by_name(mesh(base, 1, 1, 1))["memory per device"].value
    assert by_name(mesh(base, 1, 8, 1))["memory per device"].value == pytest.approx(one / 8)  # state and batch both split 8 ways
    assert by_name(edited(mesh(base, 1, 1, 1), model__remat=False))["memory per device"].value > 3 * one


def test_memory_per_device_counts_adam_moments_in_their_dtypes():
    base = mesh(golden("tiny_lm"), 1, 1, 1)
    params = by_name(base)["parameters"].value
    bf16_mu = edited(base, **{"optimizer.transforms[1].mu_dtype": Symbol("jax.numpy.bfloat16")})
    saved = by_name(base)["memory per device"].value - by_name(bf16_mu)["memory per device"].value
    assert saved == params * 2  # the first moment in 2 bytes instead of 4


def test_an_unknown_optimizer_leaves_memory_out_rather_than_guessing():
    flat = edited(golden("tiny_lm"), **{"optimizer.transforms[1].fn": Symbol("optax.adafactor")})
    assert "memory per device" not in by_name(flat) and "parameters" in by_name(flat)


def test_a_config_without_a_registered_target_has_no_figures():
    assert figures(FlatConfig({"klass": Symbol("some.Other"), "x": 1})) == []
    assert figures(FlatConfig({"x": 1})) == []


# -- AXLearn -----------------------------------------------------------------------------


def test_axlearn_single_host_sibling_shows_the_batch_divided_by_128():
    found = changes(corpus("fuji-7B-v2@34aed43c"), corpus("fuji-7B-v2-single-host@34aed43c"))
    assert [str(c) for c in found] == [
        "global batch  1,024 -> 8  (÷128)",
        "tokens per step  4,194,304 -> 32,768  (÷128)",
    ]


def test_axlearn_parameters_from_the_model_dimensions():
    # fuji-7B-v2_init's shapes: embedding [32768, 4096]; per layer q, k, v, o (4096, 32, 128),
    # linear1_0/linear1_1 (4096, 11008), linear2 (11008, 4096), two norm scales; 32 layers; output norm.
    expected = 32768 * 4096 + 32 * (4 * 4096 * 32 * 128 + 3 * 4096 * 11008 + 2 * 4096) + 4096
    assert by_name(corpus("fuji-7B-v2@34aed43c"))["parameters"].value == expected


def test_axlearn_batch_per_device_where_the_mesh_is_fixed():
    flat = edited(corpus("fuji-7B-v2@34aed43c"), **{"mesh_shape[1]": 16})
    found = by_name(flat)
    assert found["devices"].value == 128 and found["batch per device"].value == 8


def test_axlearn_older_spelling_of_the_batch():
    assert by_name(corpus("ResNet-18@a4d1b1c6"))["global batch"].value == 1024


# -- lookups, registration, errors ---------------------------------------------------------


class Recording(Mapping):
    """A mapping that counts lookups and refuses to be iterated."""

    def __init__(self, flat: FlatConfig) -> None:
        self.flat, self.lookups = flat, 0

    def __getitem__(self, path: str) -> Any:
        self.lookups += 1
        return self.flat[path]

    def __iter__(self):
        raise AssertionError("an impact iterated over every field")

    def __len__(self) -> int:
        raise AssertionError("an impact asked for the number of fields")


def test_figures_look_up_only_the_fields_they_need():
    fields = Recording(golden("llama_7b"))
    figures(fields)
    assert fields.lookups < 60


def test_a_lazy_view_over_sorted_lines_gives_the_same_figures():
    text = (GOLDEN / "llama_7b.txt").read_text()
    assert figures(LinesView(Lines.from_text(text, "llama_7b.txt"))) == figures(canonical.loads(text))


def test_a_class_or_its_name_registers_an_impact(registered):
    class Trainer:
        pass

    @impact.impact(Trainer)
    def steps(fields):
        return [Figure("steps", fields["steps"])]

    target = f"{Trainer.__module__}.{Trainer.__qualname__}"
    assert figures(FlatConfig({"klass": Symbol(target), "steps": 3})) == [Figure("steps", 3)]
    impact.impact("axlearn.Quoted")(steps)
    assert figures(FlatConfig({"klass": "axlearn.Quoted", "steps": 4})) == [Figure("steps", 4)]


def test_a_failing_impact_is_one_error_naming_the_target(registered):
    impact.impact("pkg.Broken")(lambda fields: [Figure("x", fields["missing"])])
    with pytest.raises(impact.ImpactError, match=r"impact pkg.Broken: KeyError: 'missing'"):
        figures(FlatConfig({"fn": Symbol("pkg.Broken")}))


def test_project_impact_modules_are_imported_from_pyproject(project, registered):
    project(
        files={"PKG/__init__.py": "", "PKG/impacts.py": """
            import cfgdiff
            from cfgdiff.impact import Figure

            @cfgdiff.impact("PKG.Trainer")
            def steps(fields):
                return [Figure("steps", fields["steps"])]
        """},
        settings='recipes = []\nimpact = ["PKG.impacts"]',
    )
    impact.load_project(".")
    (package,) = [p.name for p in Path(".").iterdir() if p.name.startswith("recipes_")]
    assert figures(FlatConfig({"klass": Symbol(f"{package}.Trainer"), "steps": 5})) == [Figure("steps", 5)]


def test_a_bad_impact_setting_is_one_line(project):
    project(settings='impact = "not a module!"')
    with pytest.raises(Exception, match=r"\[tool.cfgdiff\] impact must be a list of module names"):
        impact.load_project(".")


def test_computing_figures_does_not_import_jax():
    code = f"import sys; from cfgdiff import canonical, impact; impact.figures(canonical.load({str(GOLDEN / 'llama_7b.txt')!r})); sys.exit('jax' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# -- formatting --------------------------------------------------------------------------


@pytest.mark.parametrize("value, unit, text", [
    (65536, "", "65,536"), (1.5, "", "1.5"), (3 * 1024**3 // 2, "B", "1.50 GiB"), (512, "B", "512 B"),
    (3.2e15, "FLOP", "3.20 PFLOP"), ("GQA", "", "GQA"),
])
def test_quantities_read_as_a_reviewer_expects(value, unit, text):
    assert impact.format_quantity(value, unit) == text


@pytest.mark.parametrize("old, new, text", [(65536, 512, "÷128"), (2, 8, "×4"), (3, 4, "×1.33"), ("MHA", "GQA", ""), (0, 4, "")])
def test_ratios(old, new, text):
    assert impact.ratio_text(old, new) == text


def test_a_figure_only_one_side_has_reads_none():
    assert str(FigureChange("devices", None, Figure("devices", 8))) == "devices  (none) -> 8"
