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
from cfgdiff.recipes import recipe

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
