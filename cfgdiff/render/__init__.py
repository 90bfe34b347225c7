"""Show a :class:`~cfgdiff.diff.Diff`: one writer per format, used by every command.

* :mod:`~cfgdiff.render.text`: for a terminal, coloured through pygments when asked;
* :mod:`~cfgdiff.render.stat`: counts per top-level subtree, like ``git diff --stat``;
* :mod:`~cfgdiff.render.markdown`: a GitHub pull-request comment;
* :mod:`~cfgdiff.render.json`: a stable schema for programs.
"""

from cfgdiff.changes import ChangeSet
from cfgdiff.render.json import JSON_VERSION, changes_to_json, json_value, render_changes_json, render_json, to_json
from cfgdiff.render.layout import value_text
from cfgdiff.render.markdown import FOLD_AFTER, GITHUB_COMMENT_LIMIT, render_changes_markdown, render_markdown
from cfgdiff.render.stat import render_changes_stat, render_stat
from cfgdiff.render.text import LINE_WIDTH, highlight_canonical, render_changes, render_text

#: The formats every command that shows changes offers.
FORMATS = ("text", "stat", "markdown", "json")


def write_changes(changes: ChangeSet, fmt: str = "text", *, color: bool = False, marker: str | None = None) -> str:
    """A change set in one of :data:`FORMATS` (``golden check``, ``golden update``, ``review``)."""
    if fmt == "json":
        return render_changes_json(changes)
    if fmt == "markdown":
        return render_changes_markdown(changes, marker=marker)
    if fmt == "stat":
        return render_changes_stat(changes, color=color)
    return render_changes(changes, color=color)

__all__ = [
    "FOLD_AFTER",
    "FORMATS",
    "GITHUB_COMMENT_LIMIT",
    "JSON_VERSION",
    "LINE_WIDTH",
    "changes_to_json",
    "highlight_canonical",
    "json_value",
    "render_changes",
    "render_changes_json",
    "render_changes_markdown",
    "render_changes_stat",
    "render_json",
    "render_markdown",
    "render_stat",
    "render_text",
    "to_json",
    "value_text",
    "write_changes",
]
