"""The README's worked example: one config, written in both styles, one canonical text.

    python examples/quickstart.py
"""

from cfgdiff import REQUIRED, Config, Configurable, Required, build, config_for_class, dumps


class Optimizer:
    def __init__(self, learning_rate: float, momentum: float = 0.9):
        self.learning_rate, self.momentum = learning_rate, momentum


class Trainer:
    def __init__(self, dataset: str, model: dict, optimizer: Optimizer, num_steps: int = 1000):
        self.dataset, self.model, self.optimizer, self.num_steps = dataset, model, optimizer, num_steps


# Fiddle style: Config(target, **fields), then build().
fiddle_style = Config(
    Trainer,
    dataset="c4/en",
    model={"num_layers": 2, "dim": 128},
    optimizer=Config(Optimizer, learning_rate=0.1),
)

# AXLearn style: config_for_class(...).set(...), then instantiate().
axlearn_style = config_for_class(Trainer).set(
    dataset="c4/en",
    model={"num_layers": 2, "dim": 128},
    optimizer=config_for_class(Optimizer).set(learning_rate=0.1),
)


# A Configurable declares its fields in a nested Config and receives it in __init__.
class Model(Configurable):
    class Config(Configurable.Config):
        num_layers: Required[int] = REQUIRED
        dim: int = 128

    def __init__(self, cfg):
        super().__init__(cfg)
        self.num_layers, self.dim = cfg.num_layers, cfg.dim


with_model = fiddle_style.clone(model=Model.default_config().set(num_layers=2))

if __name__ == "__main__":
    assert dumps(fiddle_style) == dumps(axlearn_style)
    trainer = build(fiddle_style)
    assert trainer.optimizer.learning_rate == axlearn_style.instantiate().optimizer.learning_rate == 0.1
    print(dumps(fiddle_style), end="")
    print("---")
    print(dumps(with_model), end="")
    print("---")
    print(build(with_model).model.num_layers)
