"""cfgdiff: training configs built in Python, written as canonical text, and reviewed field by field."""

from cfgdiff.canonical import FlatConfig, Raw, Symbol, dump, dumps, load, loads
from cfgdiff.config import (
    REQUIRED,
    Config,
    ConfigBase,
    ConfigError,
    Configurable,
    Partial,
    Required,
    build,
    config_for_class,
    config_for_function,
)

__all__ = [
    "REQUIRED",
    "Config",
    "ConfigBase",
    "ConfigError",
    "Configurable",
    "FlatConfig",
    "Partial",
    "Raw",
    "Required",
    "Symbol",
    "build",
    "config_for_class",
    "config_for_function",
    "dump",
    "dumps",
    "load",
    "loads",
    "recipe",
]


def __getattr__(name: str) -> object:
    # ``recipe`` loads on first use: cfgdiff.registry pulls in tomllib, subprocess and more,
    # a third of the start-up time of ``cfgdiff OLD NEW``, which needs none of it.
    if name == "recipe":
        from cfgdiff.registry import recipe

        return recipe
    raise AttributeError(f"module 'cfgdiff' has no attribute {name!r}")
