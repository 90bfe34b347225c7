"""cfgdiff's built-in recipes (:mod:`cfgdiff.recipes.lm`); the registry lives in :mod:`cfgdiff.registry`."""
