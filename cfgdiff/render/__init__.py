"""Show a :class:`~cfgdiff.diff.Diff`: one writer per format, used by every command.

* :mod:`~cfgdiff.render.text`: for a terminal, coloured through pygments when asked;
* :mod:`~cfgdiff.render.stat`: counts per top-level subtree, like ``git diff --stat``;
* :mod:`~cfgdiff.render.markdown`: a GitHub pull-request comment;
* :mod:`~cfgdiff.render.json`: a stable schema for programs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cfgdiff.changes import ChangeSet

#: The formats every command that shows changes offers.
FORMATS = ("text", "stat", "markdown", "json")

# Each name from the module that defines it, imported on first use: a text diff in a
# terminal needs only the text writer, and the command's start-up time is most of its time.
_WHERE = {
    "JSON_VERSION": "json", "changes_to_json": "json", "json_value": "json", "render_changes_json": "json",
    "render_json": "json", "to_json": "json",
    "value_text": "layout",
    "FOLD_AFTER": "markdown", "GITHUB_COMMENT_LIMIT": "markdown", "render_changes_markdown": "markdown",
    "render_markdown": "markdown",
    "render_changes_stat": "stat", "render_stat": "stat",
    "LINE_WIDTH": "text", "highlight_canonical": "text", "render_changes": "text", "render_text": "text",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"cfgdiff.render.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'cfgdiff.render' has no attribute {name!r}")


def write_changes(changes: ChangeSet, fmt: str = "text", *, color: bool = False, marker: str | None = None) -> str:
    """A change set in one of :data:`FORMATS` (``golden check``, ``golden update``, ``review``)."""
    if fmt == "json":
        from cfgdiff.render.json import render_changes_json

        return render_changes_json(changes)
    if fmt == "markdown":
        from cfgdiff.render.markdown import render_changes_markdown

        return render_changes_markdown(changes, marker=marker)
    if fmt == "stat":
        from cfgdiff.render.stat import render_changes_stat

        return render_changes_stat(changes, color=color)
    from cfgdiff.render.text import render_changes

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
