"""``python -m cfgdiff``: the same as the ``cfgdiff`` command."""

from cfgdiff.console import entry

entry()
