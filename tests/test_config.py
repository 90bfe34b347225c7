"""The config core: both styles, one implementation."""

from __future__ import annotations

import ast
import functools
import inspect

import pytest

import cfgdiff
import cfgdiff.config
from cfgdiff.config import (
    REQUIRED,
    Config,
    ConfigError,
    Configurable,
    Partial,
    Required,
    UnknownFieldError,
    build,
    config_for_class,
    config_for_function,
)


class Optimizer:
    def __init__(self, learning_rate: float, momentum: float = 0.9) -> None:
        self.learning_rate = learning_rate
        self.momentum = momentum


class Trainer:
    def __init__(self, dataset: str, model: dict, optimizer: Optimizer, num_steps: int = 100) -> None:
        self.dataset, self.model, self.optimizer, self.num_steps = dataset, model, optimizer, num_steps


def scale(x: float, factor: float = 2.0) -> float:
    return x * factor


def collect(**kwargs):
    return kwargs


def positional(a, /, b=1):
    return (a, b)


class Layer(Configurable):
    class Config(Configurable.Config):
        dim: Required[int] = REQUIRED
        dropout: float = 0.0
        sizes: list = []

    def __init__(self, cfg: Layer.Config) -> None:
        super().__init__(cfg)
        self.dim = cfg.dim


class Attention(Layer):
    class Config(Layer.Config):
        dropout = 0.1  # a changed default
        num_heads: int = 8


class Model(Configurable):
    class Config(Configurable.Config):
        layer: Layer.Config = Layer.default_config()
        num_layers: int = 2

    def __init__(self, cfg: Model.Config) -> None:
        super().__init__(cfg)
        self.layers = [cfg.layer.instantiate() for _ in range(cfg.num_layers)]


# -- Fiddle style ---------------------------------------------------------------------


def test_config_takes_fields_and_defaults_from_the_signature():
    cfg = Config(Optimizer, learning_rate=0.1)
    assert cfg.keys() == ["learning_rate", "momentum"]
    assert cfg.momentum == 0.9
    assert cfg.target is Optimizer


def test_config_without_value_for_a_parameter_holds_required():
    assert Config(Optimizer).learning_rate is REQUIRED


def test_build_constructs_nested_configs_bottom_up():
    cfg = Config(Trainer, dataset="c4", model={"dim": 8}, optimizer=Config(Optimizer, learning_rate=0.1))
    trainer = build(cfg)
    assert isinstance(trainer.optimizer, Optimizer)
    assert trainer.optimizer.learning_rate == 0.1
    assert trainer.model == {"dim": 8}


def test_build_enters_lists_tuples_and_dicts():
    opt = Config(Optimizer, learning_rate=1.0)
    built = build({"a": [opt], "b": (opt, 3)})
    assert isinstance(built["a"][0], Optimizer)
    assert isinstance(built["b"], tuple) and built["b"][1] == 3


def test_build_builds_a_shared_config_once():
    shared = Config(Optimizer, learning_rate=0.1)
    built = build([shared, shared])
    assert built[0] is built[1]


def test_build_leaves_plain_values_alone():
    assert build(3) == 3


def test_function_config_calls_the_function():
    assert Config(scale, x=2.0).instantiate() == 4.0


def test_instantiate_passes_extra_keyword_arguments():
    assert Config(scale, x=2.0).instantiate(factor=10.0) == 20.0


def test_extra_arguments_satisfy_required_fields():
    assert Config(scale).instantiate(x=1.0) == 2.0


def test_partial_builds_functools_partial_leaving_required_fields_open():
    built = build(Partial(scale, factor=3.0))
    assert isinstance(built, functools.partial)
    assert built(2.0) == 6.0


def test_var_keyword_targets_accept_any_field():
    cfg = Config(collect, anything=1)
    cfg.other = 2
    assert cfg.instantiate() == {"anything": 1, "other": 2}


def test_positional_only_parameters_are_passed_positionally():
    assert Config(positional, a=5).instantiate() == (5, 1)


def test_a_parameter_named_like_the_target_key_is_refused():
    def uses_fn(fn):
        return fn

    with pytest.raises(ConfigError, match="'fn'"):
        Config(uses_fn)


def test_config_needs_a_callable():
    with pytest.raises(ConfigError, match="class or function"):
        Config(3)


# -- AXLearn style --------------------------------------------------------------------


def test_config_for_class_and_function_are_signature_configs():
    cfg = config_for_class(Optimizer).set(learning_rate=0.1)
    assert cfg.instantiate().learning_rate == 0.1
    assert config_for_function(scale).set(x=1.0).instantiate() == 2.0


def test_config_for_class_of_a_configurable_is_its_default_config():
    assert config_for_class(Layer) == Layer.default_config()


def test_config_for_function_refuses_a_class():
    with pytest.raises(ConfigError, match="config_for_class"):
        config_for_function(Optimizer)


def test_configurable_receives_its_config():
    layer = Layer.default_config().set(dim=4).instantiate()
    assert isinstance(layer, Layer) and layer.dim == 4
    assert layer.config.dim == 4


def test_subclass_config_inherits_extends_and_overrides_defaults():
    cfg = Attention.default_config()
    assert cfg.keys() == ["klass", "dim", "dropout", "sizes", "num_heads"]
    assert cfg.dropout == 0.1
    assert Layer.default_config().dropout == 0.0
    assert cfg.klass is Attention


def test_mutable_defaults_are_not_shared_between_configs():
    a, b = Layer.default_config(), Layer.default_config()
    a.sizes.append(1)
    assert b.sizes == []


def test_configurable_instantiates_its_own_children():
    model = Model.default_config().set(num_layers=3)
    model.layer.dim = 16
    built = model.instantiate()
    assert [layer.dim for layer in built.layers] == [16, 16, 16]


def test_set_returns_the_config_for_chaining():
    cfg = Layer.default_config()
    assert cfg.set(dim=1) is cfg


def test_clone_is_deep_and_applies_overrides():
    cfg = Model.default_config()
    copy = cfg.clone(num_layers=5)
    copy.layer.dim = 7
    assert cfg.num_layers == 2 and cfg.layer.dim is REQUIRED
    assert copy.num_layers == 5


def test_clone_keeps_shared_subconfigs_shared():
    shared = Config(Optimizer, learning_rate=0.1)
    copy = Config(collect, a=shared, b=shared).clone()
    assert copy.a is copy.b


# -- errors ---------------------------------------------------------------------------


def test_unknown_field_suggests_the_closest_name():
    with pytest.raises(UnknownFieldError, match="did you mean 'learning_rate'"):
        Config(Optimizer).set(learnin_rate=0.1)


def test_reading_an_unknown_field_is_an_attribute_error():
    with pytest.raises(AttributeError):
        Layer.default_config().nope  # noqa: B018


def test_required_field_error_names_the_full_path():
    cfg = Model.default_config()
    with pytest.raises(ConfigError, match=r"^layer\.dim: required field is not set"):
        cfg.instantiate()


def test_required_field_error_inside_a_list_names_the_index():
    cfg = Config(collect, opts=[Config(Optimizer, learning_rate=1.0), Config(Optimizer)])
    with pytest.raises(ConfigError, match=r"opts\[1\]\.learning_rate"):
        build(cfg)


def test_a_cycle_is_an_error_naming_the_path():
    cfg = Config(collect)
    cfg.child = Config(collect)
    cfg.child.parent = cfg
    with pytest.raises(ConfigError, match="cycle"):
        build(cfg)


def test_fields_cannot_be_deleted():
    with pytest.raises(ConfigError):
        del Layer.default_config().dim


# -- set_path -------------------------------------------------------------------------


def test_set_path_reaches_nested_fields_and_list_items():
    cfg = Config(collect, layers=[Layer.default_config()], table={"a": 1})
    cfg.set_path("layers[0].dim", 64)
    cfg.set_path("table['a']", 2)
    assert cfg.layers[0].dim == 64 and cfg.table == {"a": 2}


def test_set_path_unknown_field_names_the_path_and_suggests():
    cfg = Model.default_config()
    with pytest.raises(UnknownFieldError, match=r"'layer\.dmi'.*did you mean 'dim'"):
        cfg.set_path("layer.dmi", 1)
    with pytest.raises(UnknownFieldError, match=r"'layr'.*did you mean 'layer'"):
        cfg.set_path("layr.dim", 1)


# -- introspection --------------------------------------------------------------------


def test_visit_sees_every_field_with_its_path():
    seen = []
    Model.default_config().visit(lambda path, value: seen.append(path))
    assert "layer.dim" in seen and "layer.sizes" in seen and "num_layers" in seen


def test_config_does_not_import_canonical():
    # Flattening lives in canonical alone, which stands on config: no import back, not even lazily.
    tree = ast.parse(inspect.getsource(cfgdiff.config))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [
        f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
    ]
    assert imported and not [name for name in imported if "canonical" in name]


def test_configs_are_equal_by_target_and_fields():
    assert Config(Optimizer, learning_rate=0.1) == Config(Optimizer, learning_rate=0.1)
    assert Config(Optimizer, learning_rate=0.1) != Config(Optimizer, learning_rate=0.2)
    assert Config(scale) != Partial(scale)


def test_repr_is_short_and_names_the_target():
    cfg = Config(Trainer, dataset="c4", optimizer=Config(Optimizer, learning_rate=0.1))
    assert repr(cfg) == (
        "Config(Trainer, dataset='c4', model=REQUIRED, optimizer=Config(Optimizer, ...), num_steps=100)"
    )
    assert repr(Layer.default_config().set(dim=2)) == "Layer.default_config(dim=2, dropout=0.0, sizes=[])"
