"""What ``cfgdiff blame``, ``explain`` and ``show --non-default`` print, from a config's origins.

``blame`` lists every field as its canonical line with the origin of its value beside it,
aligned; ``--format json`` gives the same as ``{"source", "fields": [{"path", "value",
"origin": {"file", "line", "function", "default"}}]}``, values as in ``cfgdiff diff
--format json``. Only a config built here (a recipe, ``package.module:function``,
``REV:RECIPE``) has origins; a file does not.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

from cfgdiff import lines
from cfgdiff.canonical import FlatConfig, dumps, format_value
from cfgdiff.errors import did_you_mean
from cfgdiff.provenance import Explanation, Origin, ProvenanceError

#: The origin column starts here at most; longer ``path: value`` lines push it right.
ORIGIN_COLUMN = 72


def require_origins(flat: FlatConfig) -> Mapping[str, Origin]:
    """The origins of ``flat``; ProvenanceError saying what would have them when it has none."""
    if flat.origins is None:
        raise ProvenanceError(
            f"{flat.source}: no provenance (files have none, nor recipes at a revision whose cfgdiff predates it); "
            f"give a recipe name, package.module:function or REV:RECIPE"
        )
    return flat.origins


def select(flat: FlatConfig, prefix: str | None) -> FlatConfig:
    """The fields at or under ``prefix``; ProvenanceError with the closest path when there are none."""
    if not prefix:
        return flat
    out = FlatConfig({path: value for path, value in flat.items() if lines.is_under(path, prefix)})
    out.source, out.origins = flat.source, flat.origins
    if not out:
        hint = did_you_mean(prefix, {p for path in flat for p in (*lines.prefixes(path), path)})
        raise ProvenanceError(f"{flat.source}: no field at or under {prefix!r}{hint}")
    return out


def non_default(flat: FlatConfig) -> FlatConfig:
    """The fields whose value the code set, leaving out those at their target's declared default."""
    origins = require_origins(flat)
    out = FlatConfig({path: value for path, value in flat.items() if not origins[path].default})
    out.source, out.origins = flat.source, origins
    return out


def format_text(flat: FlatConfig, *, color: bool = False) -> str:
    """Each field as ``path: value``, then its origin in an aligned column."""
    origins = require_origins(flat)
    rows = [(f"{path}: {format_value(value)}", origins[path]) for path, value in flat.items()]
    width = min(max((len(line) for line, _ in rows), default=0), ORIGIN_COLUMN)
    if not color:
        return "".join(f"{line:<{width}}  {origin}\n" for line, origin in rows)
    from cfgdiff.render import highlight_canonical
    from cfgdiff.render.layout import HEADING, NOTE, finish

    out = []
    for line, origin in rows:
        left = highlight_canonical(line + "\n", color=True).rstrip("\n")
        right = finish([(NOTE if origin.default else HEADING, str(origin))], color=True)
        out.append(f"{left}{' ' * max(width - len(line), 0)}  {right}\n")
    return "".join(out)


def format_json(flat: FlatConfig) -> str:
    """The fields with their values and origins as JSON (see the module docstring)."""
    from cfgdiff.render import json_value

    origins = require_origins(flat)
    fields = [
        {"path": path, "value": json_value(value), "origin": dataclasses.asdict(origins[path])}
        for path, value in flat.items()
    ]
    return json.dumps({"source": flat.source, "fields": fields}, indent=2) + "\n"


def format_non_default(flat: FlatConfig) -> str:
    """Canonical text of the fields the code set (see :func:`non_default`)."""
    return dumps(non_default(flat))


def format_explanation(e: Explanation) -> str:
    """What a field configures, one fact a line."""
    rows = [
        ("configures", e.target if e.parameter is None else f"{e.target}, parameter {e.parameter!r}"),
        ("annotation", e.annotation),
        ("default", e.default),
        ("declared", e.declared),
        ("doc", e.doc),
        ("value from", str(e.origin)),
    ]
    body = "".join(f"  {label:<11} {text}\n" for label, text in rows if text is not None)
    return f"{e.path}: {e.value}\n{body}"
