"""Provenance: each field knows the line that set it, or the line declaring its default."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cfgdiff import canonical, provenance
from cfgdiff.config import (
    REQUIRED,
    Config,
    Configurable,
    Partial,
    Required,
    config_for_class,
    config_for_function,
)
from cfgdiff.provenance import Origin, ProvenanceError, explain, origins

ROOT = Path(__file__).resolve().parent.parent
THIS = "tests/test_provenance.py"


def here() -> int:
    """The line of the caller: ``cfg, line = Config(...), here()`` names the line building cfg."""
    return sys._getframe(1).f_lineno


def sgd(learning_rate: float, momentum: float = 0.9, nesterov: bool = False) -> tuple:
    """Stochastic gradient descent.

    Args:
      learning_rate: the step size.
      momentum (float): how much of the last update is kept.
    """
    return (learning_rate, momentum, nesterov)


SGD_MOMENTUM_LINE = sgd.__code__.co_firstlineno  # the signature is on one line


def trainer(optimizer, layers=(), rules=None, steps=10):
    return (optimizer, layers, rules, steps)


class Layer(Configurable):
    """A layer."""

    class Config(Configurable.Config):
        dim: Required[int] = REQUIRED
        dropout: float = 0.0  # DROPOUT_LINE


class WideLayer(Layer):
    class Config(Layer.Config):
        dropout = 0.5  # WIDE_DROPOUT_LINE


class Model(Configurable):
    class Config(Configurable.Config):
        layer: Layer.Config = Layer.default_config()  # MODEL_LAYER_LINE
        depth: int = 2


def line_of(marker: str) -> int:
    return next(i for i, line in enumerate(Path(__file__).read_text().splitlines(), 1) if line.endswith(f"# {marker}"))


def origin(cfg, path: str) -> Origin:
    return origins(cfg, root=ROOT)[path]


# -- set origins ------------------------------------------------------------------------------


def test_a_constructor_keyword_names_the_line_that_built_the_config():
    cfg, line = Config(sgd, learning_rate=0.1), here()
    assert origin(cfg, "learning_rate") == Origin(THIS, line, "test_a_constructor_keyword_names_the_line_that_built_the_config")


def test_the_last_of_constructor_set_and_clone_wins():
    cfg = Config(sgd, learning_rate=0.1)
    line_set = here() + 1
    cfg.set(learning_rate=0.2)
    clone, line_clone = cfg.clone(learning_rate=0.3), here()
    assert origin(cfg, "learning_rate").line == line_set
    assert origin(clone, "learning_rate").line == line_clone
    assert str(origin(clone, "learning_rate")) == f"{THIS}:{line_clone} (test_the_last_of_constructor_set_and_clone_wins)"


def test_a_clone_keeps_the_origins_of_the_fields_it_copies():
    cfg, line = Config(sgd, learning_rate=0.1, momentum=0.5), here()
    clone = cfg.clone(learning_rate=0.3)
    assert origin(clone, "momentum").line == line


def test_attribute_assignment_is_recorded():
    cfg = Config(sgd, learning_rate=0.1)
    cfg.momentum, line = 0.5, here()
    assert origin(cfg, "momentum").line == line


def test_set_path_is_recorded_on_the_field_it_sets():
    cfg = Config(trainer, optimizer=Config(sgd, learning_rate=0.1))
    cfg.set_path("optimizer.momentum", 0.0)
    line = here() - 1
    assert origin(cfg, "optimizer.momentum").line == line
    assert origin(cfg, "optimizer.learning_rate").line == line - 1


def test_set_path_into_a_list_item_changes_the_origin_of_the_field_holding_the_list():
    cfg = Config(trainer, optimizer=1, layers=[1, 2, 3])
    cfg.set_path("layers[1]", 20)
    line = here() - 1
    assert [origin(cfg, f"layers[{i}]").line for i in range(3)] == [line] * 3


def test_items_of_a_container_field_share_the_fields_origin():
    cfg, line = Config(trainer, optimizer=1, rules={"batch": ("data", "fsdp")}), here()
    assert origin(cfg, "rules['batch'][0]") == origin(cfg, "rules['batch'][1]") == origin(cfg, "optimizer")
    assert origin(cfg, "optimizer").line == line


# -- target lines --------------------------------------------------------------------------


def test_a_target_line_names_where_the_config_was_created():
    fn_cfg, fn_line = config_for_function(sgd), here()
    class_cfg, class_line = config_for_class(Layer), here()
    default_cfg, default_line = WideLayer.default_config(), here()
    assert origin(fn_cfg, "fn").line == fn_line
    assert origin(class_cfg, "klass").line == class_line
    assert origin(default_cfg, "klass").line == default_line


def test_a_partial_names_where_it_was_created():
    cfg, line = Partial(sgd, momentum=0.5), here()
    assert origin(cfg, "partial").line == origin(cfg, "momentum").line == line


def test_a_config_copied_from_a_declared_default_is_that_default():
    cfg = Model.default_config()
    assert origin(cfg, "layer.klass") == Origin(THIS, line_of("MODEL_LAYER_LINE"), "Model.Config", default=True)
    assert str(origin(cfg, "layer.klass")) == f"default, {THIS}:{line_of('MODEL_LAYER_LINE')}"


# -- defaults ----------------------------------------------------------------------------------


def test_an_untouched_signature_field_names_its_parameter():
    assert origin(Config(sgd, learning_rate=0.1), "momentum") == Origin(THIS, SGD_MOMENTUM_LINE, "sgd", default=True)


def test_an_untouched_declared_field_names_its_declaration():
    assert origin(Layer.default_config(), "dropout") == Origin(THIS, line_of("DROPOUT_LINE"), "Layer.Config", default=True)


def test_a_default_changed_in_a_subclass_names_the_subclass():
    assert origin(WideLayer.default_config(), "dropout").line == line_of("WIDE_DROPOUT_LINE")
    assert origin(WideLayer.default_config(), "dim").line == line_of("DROPOUT_LINE") - 1


def test_a_library_default_is_named_relative_to_its_sys_path_entry():
    import optax

    cfg = config_for_function(optax.adamw).set(learning_rate=0.1)
    found = origin(cfg, "eps")
    assert found.default and found.file.startswith("optax/") and found.file.endswith(".py") and found.line > 0


def test_nothing_is_recorded_while_provenance_is_disabled():
    with provenance.disabled():
        cfg = Config(sgd, learning_rate=0.1)
    assert origin(cfg, "learning_rate").default
    assert not origin(Config(sgd, learning_rate=0.1), "learning_rate").default


# -- the shape of origins() -----------------------------------------------------------------


def test_origins_are_keyed_by_exactly_the_canonical_paths():
    cfg = Config(trainer, optimizer=Config(sgd, learning_rate=0.1), layers=[Layer.default_config()], rules={"a": [1, 2]})
    assert list(origins(cfg, root=ROOT)) == list(canonical.flatten(cfg))


def test_an_origin_round_trips_through_json():
    found = origin(Layer.default_config(), "dropout")
    assert Origin(**json.loads(json.dumps(found.__dict__))) == found


def test_the_project_root_is_the_folder_of_the_cfgdiff_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.cfgdiff]\nrecipes = []\n")
    (tmp_path / "pkg").mkdir()
    assert provenance.project_root(tmp_path / "pkg") == tmp_path


def test_without_a_cfgdiff_pyproject_the_project_root_is_the_git_top_level(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "pkg").mkdir()
    assert provenance.project_root(tmp_path / "pkg") == tmp_path


# -- explain -------------------------------------------------------------------------------------


def test_explain_names_target_parameter_annotation_default_and_doc_line():
    cfg = Config(trainer, optimizer=Config(sgd, learning_rate=0.1))
    found = explain(cfg, "optimizer.momentum", root=ROOT)
    assert (found.target, found.parameter, found.annotation, found.default) == (f"{__name__}.sgd", "momentum", "float", "0.9")
    assert found.doc == "how much of the last update is kept."
    assert found.origin.default and found.declared == f"{THIS}:{SGD_MOMENTUM_LINE}"


def test_explain_of_a_declared_field_gives_its_annotation_and_default():
    found = explain(Model.default_config(), "layer.dim", root=ROOT)
    assert (found.target, found.parameter, found.annotation, found.default) == (f"{__name__}.Layer", "dim", "Required[int]", "REQUIRED")


def test_explain_of_a_target_line_names_the_target_and_its_doc():
    cfg, line = Config(sgd, learning_rate=0.1), here()
    found = explain(cfg, "fn", root=ROOT)
    assert (found.target, found.parameter, found.doc) == (f"{__name__}.sgd", None, "Stochastic gradient descent.")
    assert found.origin.line == line


def test_explain_of_an_unknown_path_suggests_the_closest():
    with pytest.raises(ProvenanceError, match=r"no field 'optimizer.momentun'.*did you mean 'optimizer.momentum'"):
        explain(Config(trainer, optimizer=Config(sgd, learning_rate=0.1)), "optimizer.momentun")


# -- sources that carry origins -------------------------------------------------------------


def test_a_recipe_source_carries_origins_relative_to_the_project_root(project):
    from cfgdiff import sources

    root = project()
    found = sources.read("alpha")
    module = next(root.glob("recipes_*/__init__.py")).relative_to(root).as_posix()
    assert list(found.origins) == list(canonical.loads(found.text))
    assert found.origins["optimizer.learning_rate"].file == module
    assert sources.resolve("alpha").origins == found.origins


def test_a_module_function_source_carries_origins(project):
    from cfgdiff import sources

    project()
    package = next(Path.cwd().glob("recipes_*")).name
    assert sources.read(f"{package}:alpha").origins["model.dim"].default


def test_a_file_source_has_no_origins(tmp_path):
    from cfgdiff import sources

    (tmp_path / "a.txt").write_text("x: 1\n")
    assert sources.resolve("a.txt", cwd=tmp_path).origins is None


def test_a_recipe_that_returns_no_config_has_no_origins(project):
    from cfgdiff.registry import discover

    project({"PKG/__init__.py": "import cfgdiff\n\n@cfgdiff.recipe\ndef plain():\n    return {'x': 1}\n"})
    assert discover()["plain"].flat().origins is None


def test_a_config_with_origins_still_pickles():
    import pickle

    cfg, line = Config(sgd, learning_rate=0.1), here()
    assert origin(pickle.loads(pickle.dumps(cfg)), "learning_rate").line == line


OLD_CFGDIFF_REGISTRY = '''
import sys
import cfgdiff


class Recipe:
    """A recipe as cfgdiff had it before provenance: text, and no origins."""

    def __init__(self, name):
        self.name, self.module = name, "oldrecipes"

    def dumps(self):
        return "steps: 10\\n"


class Registry(dict):
    errors = []
    root = None

    def unknown(self, name):
        return f"unknown recipe {name!r}"


def discover(start="."):
    import oldrecipes  # noqa: F401  (a module of this worktree, so the recipe counts as its code)

    return Registry(old=Recipe("old"))
'''


def test_a_recipe_at_a_revision_whose_cfgdiff_predates_provenance_has_no_origins(tmp_path, monkeypatch):
    from cfgdiff.revisions import flat_at_revision
    from tests.conftest import git

    (tmp_path / "cfgdiff").mkdir()
    (tmp_path / "cfgdiff" / "__init__.py").write_text("")
    (tmp_path / "cfgdiff" / "registry.py").write_text(OLD_CFGDIFF_REGISTRY)
    (tmp_path / "oldrecipes.py").write_text("")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "old cfgdiff")
    monkeypatch.chdir(tmp_path)
    flat = flat_at_revision("HEAD", "old")
    assert dict(flat) == {"steps": 10} and flat.origins is None


@pytest.mark.parametrize("recipe", ["tiny_lm", "llama_7b"])
def test_looking_up_one_path_gives_what_resolving_them_all_gives(recipe):
    from cfgdiff.recipes import lm

    tree = getattr(lm, recipe)()
    one_by_one = {path: origins(tree)[path] for path in canonical.flatten(tree)}
    assert one_by_one == dict(origins(tree))
    assert origins(tree).get("model.no_such_field") is None
