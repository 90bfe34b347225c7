"""The README's worked example runs, and the canonical text it shows is what it prints."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_prints_the_canonical_text_shown_in_the_readme():
    result = subprocess.run(
        [sys.executable, "examples/quickstart.py"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"<!-- quickstart-output -->\n```text\n(.*?)```", readme, re.S)
    assert shown, "README.md lost its quickstart output block"
    assert result.stdout == shown.group(1)

