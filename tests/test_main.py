"""``python -m cfgdiff`` is the ``cfgdiff`` command."""

import subprocess
import sys


def test_python_dash_m_cfgdiff_is_the_cfgdiff_command():
    result = subprocess.run([sys.executable, "-m", "cfgdiff", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("Usage: cfgdiff ")
