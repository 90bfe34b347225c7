"""``python -m cfgdiff``: the same as the ``cfgdiff`` command."""

from cfgdiff.cli import entry

entry()
