"""Show a :class:`~cfgdiff.diff.Diff`: one writer per format, used by every command.

* :mod:`~cfgdiff.render.text`: for a terminal, coloured through pygments when asked;
* :mod:`~cfgdiff.render.stat`: counts per top-level subtree, like ``git diff --stat``;
* :mod:`~cfgdiff.render.markdown`: a GitHub pull-request comment;
* :mod:`~cfgdiff.render.json`: a stable schema for programs.
"""

from cfgdiff.render.json import JSON_VERSION, json_value, render_json, to_json
from cfgdiff.render.layout import value_text
from cfgdiff.render.markdown import FOLD_AFTER, GITHUB_COMMENT_LIMIT, render_markdown
from cfgdiff.render.stat import render_stat
from cfgdiff.render.text import LINE_WIDTH, highlight_canonical, render_text

__all__ = [
    "FOLD_AFTER",
    "GITHUB_COMMENT_LIMIT",
    "JSON_VERSION",
    "LINE_WIDTH",
    "highlight_canonical",
    "json_value",
    "render_json",
    "render_markdown",
    "render_stat",
    "render_text",
    "to_json",
    "value_text",
]
