"""The diff as JSON: a stable, versioned schema for programs (see :func:`to_json`)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cfgdiff.canonical import Raw, Symbol, format_value
from cfgdiff.diff import Added, Changed, Diff, Node
from cfgdiff.labels import diff_label_counts

if TYPE_CHECKING:  # change sets and outcomes: a plain diff imports neither cfgdiff.changes nor cfgdiff.runs
    from cfgdiff.changes import ChangeSet
    from cfgdiff.runs import Outcome

#: The JSON schema version; bumped only for incompatible changes.
JSON_VERSION = 1


def render_json(d: Diff, *, outcomes: Sequence[Outcome] | None = None) -> str:
    """The diff as JSON (schema: :func:`to_json`), indented, keys in a fixed order."""
    return json.dumps(to_json(d, outcomes=outcomes), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_json(d: Diff, *, outcomes: Sequence[Outcome] | None = None) -> dict[str, Any]:
    """The diff as JSON-ready data::

        {"version": 1,
         "sources": {"old": LABEL, "new": LABEL},
         "changed": [{"path", "old", "new", "origin"?, "old_origin"?}],
         "added": [{"path", "value", "origin"?}],
         "removed": [{"path", "value"}],
         "moved": [{"from", "to", "fields", "changed", "added", "removed", "moved"}],
         "groups": [{"kind", "path", "old", "new", "paths"}],
         "summary": {"changed", "added", "removed", "moved", "unchanged"},
         "impact": [{"figure", "old", "new", "old_text", "new_text", "unit", "ratio"}],
         "labels": {LABEL: FIELDS},
         "outcomes": {"old": OUTCOME, "new": OUTCOME}}   (two run directories only)

    ``impact`` lists the figures that moved (:mod:`cfgdiff.impact`; ``old``/``new`` are
    numbers or strings, null where one side has no such figure). A labelled field
    (:mod:`cfgdiff.labels`) carries ``"labels": [LABEL, ...]``; ``labels`` counts them.
    OUTCOME is :meth:`cfgdiff.runs.Outcome.to_json`: the run's figures (null where its
    files do not say) and ``notes``.

    Paths are full paths (inside a move: removed fields at the old place, the rest at
    the new). Values are JSON values where JSON has them, else tagged (:func:`json_value`).
    ``origin``/``old_origin`` (``file:line`` where a value was set) appear when the
    source was a live recipe.
    """
    body = _json_body(d, "", "")
    document = {
        "version": JSON_VERSION,
        "sources": {"old": d.old_source, "new": d.new_source},
        **body,
        "groups": [
            {
                "kind": g.kind,
                "path": g.path,
                "old": json_value(g.old),
                "new": json_value(g.new),
                "paths": [f.path for f in g.fields],
            }
            for g in d.groups
        ],
        "summary": d.counts(),
        "impact": [_figure_change(c) for c in d.impact],
        "labels": diff_label_counts(d),
    }
    if outcomes:
        document["outcomes"] = {"old": outcomes[0].to_json(), "new": outcomes[1].to_json()}
    return document


def _figure_change(change: Any) -> dict[str, Any]:
    old, new = change.old, change.new
    return {
        "figure": change.name,
        "old": old.value if old else None,
        "new": new.value if new else None,
        "old_text": old.text if old else None,
        "new_text": new.text if new else None,
        "unit": (new or old).unit,
        "ratio": change.ratio or None,
    }


def _json_body(d: Diff, old_base: str, new_base: str) -> dict[str, Any]:
    return {
        "changed": [
            {"path": new_base + f.path, "old": json_value(f.old), "new": json_value(f.new), **_origins(f), **_labels(d, f.path)}
            for f in d.changed
        ],
        "added": [{"path": new_base + f.path, "value": json_value(f.value), **_origins(f), **_labels(d, f.path)} for f in d.added],
        "removed": [{"path": old_base + f.path, "value": json_value(f.value), **_labels(d, f.path)} for f in d.removed],
        "moved": [
            {"from": old_base + m.old_path, "to": new_base + m.new_path, "fields": m.size,
             **_json_body(m.diff, old_base + m.old_path, new_base + m.new_path)}
            for m in d.moved
        ],
    }


def _labels(d: Diff, path: str) -> dict[str, list[str]]:
    found = d.labels.get(path)
    return {"labels": list(found)} if found else {}


def _origins(f: Changed | Added) -> dict[str, str]:
    """``origin`` (where the new value was set) and ``old_origin``, where known."""
    out = {}
    if f.origin is not None:
        out["origin"] = str(f.origin)
    if getattr(f, "old_origin", None) is not None:
        out["old_origin"] = str(f.old_origin)
    return out


def render_changes_json(changes: ChangeSet) -> str:
    """A change set as JSON (schema: :func:`changes_to_json`)."""
    return json.dumps(changes_to_json(changes), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def changes_to_json(changes: ChangeSet) -> dict[str, Any]:
    """A change set (``golden check``, ``review``) as JSON-ready data::

        {"version": 1, "title", "context": {...},
         "shared": [{"recipes": [NAME, ...], "diff": DIFF}],
         "recipes": [{"name", "status", "note", "fix", "diff": DIFF | null, "own": SUMMARY | null}],
         "problems": [{"severity": "error"|"warning", "message", "fix"}],
         "tally", "fix"}

    DIFF is :func:`to_json`'s document; ``own`` counts what is left of a recipe's diff
    once the shared changes are taken out.
    """
    return {
        "version": JSON_VERSION,
        "title": changes.title,
        "context": changes.context,
        "shared": [{"recipes": list(s.recipes), "diff": to_json(s.diff)} for s in changes.shared],
        "recipes": [
            {
                "name": r.name,
                "status": r.status,
                "note": r.note,
                "fix": r.fix,
                "diff": to_json(r.diff) if r.diff is not None else None,
                "own": r.own.counts() if r.own is not None else None,
            }
            for r in changes.recipes
        ],
        "problems": [{"severity": p.severity, "message": p.message, "fix": p.fix} for p in changes.problems],
        "tally": changes.tally,
        "fix": changes.fix,
    }


def json_value(value: Any) -> Any:
    """A value as JSON: None, bools, ints, finite floats, strings, lists and string-keyed
    dicts as themselves; anything else tagged with ``"$type"``:

    ``{"$type": "symbol", "repr": "jax.numpy.bfloat16"}`` (an unquoted import name),
    ``{"$type": "raw", "repr": "PartitionSpec(('data',),)"}`` (text that is not a literal),
    ``{"$type": "float", "repr": "nan"}`` (also ``inf``, ``-inf``),
    ``{"$type": "bytes", "repr": "b'\\\\x00'"}``, ``{"$type": "complex", "repr": "1j"}``,
    ``{"$type": "tuple", "items": [...]}``, ``{"$type": "dict", "items": [[key, value], ...]}``
    (keys that are not strings), ``{"$type": "node", "target": ..., "fields": 3}`` (a group
    headline), and null for an absent side of a group.
    """
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$type": "float", "repr": format_value(value)}
    if kind is Symbol:
        return {"$type": "symbol", "repr": value.name}
    if kind is Raw:
        return {"$type": "raw", "repr": value.text}
    if kind is list:
        return [json_value(v) for v in value]
    if kind is tuple:
        return {"$type": "tuple", "items": [json_value(v) for v in value]}
    if kind is dict:
        if all(type(k) is str for k in value):
            return {k: json_value(v) for k, v in value.items()}
        return {"$type": "dict", "items": [[json_value(k), json_value(v)] for k, v in value.items()]}
    if kind is Node:
        return {"$type": "node", "target": json_value(value.target), "fields": value.fields}
    return {"$type": kind.__name__, "repr": format_value(value)}
