"""The reference JAX trainer: every part is a Configurable or an optax function config.

``cfgdiff run RECIPE`` builds a recipe's :class:`~cfgdiff.train.trainer.Trainer` config and
runs it; see :mod:`cfgdiff.recipes.lm` for the built-in recipes.
"""
