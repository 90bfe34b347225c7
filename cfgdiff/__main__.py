"""``python -m cfgdiff``: the same as the ``cfgdiff`` command."""

from cfgdiff.cli import main

main(prog_name="cfgdiff")
