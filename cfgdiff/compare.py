"""Many configs side by side: only the fields that differ among them, a column per config.

``cfgdiff compare`` answers "what do these twenty runs of a sweep, or these five recipes,
actually differ in?". Like the diff it works on canonical lines (:mod:`cfgdiff.lines`):
every config is merged against the first one (the baseline, when there is one) as sorted
lines, so a field whose line is the same in every config is counted and never parsed.
Only the paths that some config spells differently are parsed, and a path whose texts
differ but spell the same value (``'a'``/``"a"``, ``1e-8``/``1e-08``) is unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cfgdiff import lines
from cfgdiff.canonical import FlatConfig, Raw, Text, parse_value, values_equal
from cfgdiff.diff import FilterError, path_filter
from cfgdiff.errors import CfgdiffError
from cfgdiff.lines import Lines, path_of, sort_key
from cfgdiff.runs import Outcome


class CompareError(CfgdiffError, ValueError):
    """Arguments that cannot make a comparison (fewer than two configs)."""


class _Absent:
    """The value of a field that a config does not have."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


#: Stands in a row for a field the config lacks (``None`` is a value a field can have).
ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Column:
    """One compared config: its short ``label``, where it came from, and, for a run
    directory, what the run achieved."""

    label: str
    source: str
    outcome: Outcome | None = None


@dataclass(frozen=True)
class Row:
    """A field that differs among the configs: its value in each column (or :data:`ABSENT`)."""

    path: str
    values: tuple[Any, ...]


@dataclass
class Comparison:
    """The fields that differ among several configs; ``unchanged`` counts the rest.

    With ``baseline`` the first column is the config the others are read against.
    """

    columns: list[Column]
    rows: list[Row]
    unchanged: int
    baseline: bool = False

    def __bool__(self) -> bool:
        """True when any field differs."""
        return bool(self.rows)

    def same_as_baseline(self, row: Row, column: int) -> bool:
        """Whether ``row`` has the baseline's value (or lacks the field as it does) in ``column``."""
        return same_value(row.values[0], row.values[column])

    def summary(self) -> str:
        """The tally line: ``'3 fields differ among 5 configs (1,204 unchanged)'``."""
        n = len(self.columns)
        if not self.rows:
            return f"no differences among {n} configs ({self.unchanged:,} field{'s' * (self.unchanged != 1)})"
        rows = len(self.rows)
        return f"{rows:,} field{'s' * (rows != 1)} differ{'s' * (rows == 1)} among {n} configs ({self.unchanged:,} unchanged)"


def same_value(a: Any, b: Any) -> bool:
    """Type-strict equality (see :func:`canonical.values_equal`) that also knows :data:`ABSENT`."""
    if a is ABSENT or b is ABSENT:
        return a is b
    return values_equal(a, b)


def compare(
    configs: Iterable[Text | FlatConfig | str],
    labels: Sequence[str],
    *,
    baseline: bool = False,
    ignore: Sequence[str] = (),
    only: str | None = None,
    outcomes: Sequence[Outcome | None] | None = None,
) -> Comparison:
    """Compare configs: one row per path whose value is not the same in all of them.

    ``configs`` are canonical text (:class:`Text` or a ``str``) or FlatConfigs, one per
    label; they are read one at a time (pass a generator to hold only one in memory).
    ``ignore``/``only`` filter paths as ``cfgdiff diff`` does; ``only`` selecting nothing
    in any config raises FilterError. A path given twice in one config raises ParseError.

    >>> c = compare(["lr: 0.1\\nsteps: 10\\n", "lr: 0.2\\nsteps: 10\\n"], ["a", "b"])
    >>> c.rows, c.unchanged
    ([Row(path='lr', values=(0.1, 0.2))], 1)
    """
    configs = iter(configs)
    first_config = next(configs, None)
    if first_config is None:
        raise CompareError("nothing to compare")
    first = Lines.of(first_config, labels[0])
    first_texts: dict[str, str] = {}  # the first config's text at each path another config differs on
    others: list[_Other] = []
    sources = [first.source]
    for config, label in zip(configs, labels[1:]):
        side = Lines.of(config, label)
        sources.append(side.source)
        gone, new = lines.only(first.lines, side.lines)  # (``only`` is the --only prefix here)
        own = side.fields(new)
        for path in own:  # a second line giving the same path is a malformed file
            if side.count_path(path) != 1:
                side.raise_malformed()
        lacks = first.fields(gone)
        first_texts.update(lacks)
        others.append(_Other(own, set(lacks), config if isinstance(config, FlatConfig) else None))
    if len(others) + 1 != len(labels):
        raise ValueError("one label per config")
    paths = set(first_texts).union(*(other.own for other in others))
    for path in first_texts:
        if first.count_path(path) > 1:
            first.raise_malformed()

    keep = path_filter(ignore=ignore, only=only)
    differing = [p for p in paths if keep is None or keep(p)]
    exact_first = first_config if isinstance(first_config, FlatConfig) else None
    rows, equal = [], 0
    for path in sorted(differing, key=sort_key):
        mine = first_texts.get(path)
        values = [_value(exact_first, path, mine)]
        for other in others:
            text = other.own.get(path)
            if text is None and mine is not None and path not in other.lacks:
                text = mine  # this config shares the first one's line
            values.append(_value(other.exact, path, text))
        if all(same_value(values[0], v) for v in values[1:]):
            equal += 1  # the texts differ but spell the same value
        else:
            rows.append(Row(path, tuple(values)))
    if keep is None:
        shared = len(first.lines) - len(first_texts)
    else:
        shared = sum(1 for line in first.lines if keep(path := path_of(line)) and path not in paths)
        if only and not shared and not differing:
            raise FilterError(f"--only {only!r}: no config has a field under it")
    columns = [
        Column(label, source, outcomes[i] if outcomes else None) for i, (label, source) in enumerate(zip(labels, sources))
    ]
    return Comparison(columns, rows, shared + equal, baseline)


@dataclass(frozen=True)
class _Other:
    """What compare keeps of a config after merging its lines against the first one's."""

    own: dict[str, str]  # {path: value text} of the lines the first config lacks
    lacks: set[str]  # the paths of the first config's lines this one lacks
    exact: FlatConfig | None  # exact values, when the config came as a FlatConfig


def _value(exact: FlatConfig | None, path: str, text: str | None) -> Any:
    if text is None:
        return ABSENT
    if exact is not None:
        return exact[path]
    return parse_value(text) if text else Raw("")


# -- reading SOURCE arguments ----------------------------------------------------------


def compare_sources(
    args: Sequence[str],
    *,
    baseline: str | None = None,
    ignore: Sequence[str] = (),
    only: str | None = None,
) -> Comparison:
    """Compare the configs that SOURCE arguments name (see :mod:`cfgdiff.sources`).

    ``baseline``, when given, is the first column (and is not repeated if it is also in
    ``args``). Run directories bring their outcomes (:mod:`cfgdiff.runs`).
    """
    from cfgdiff import runs, sources

    if baseline is not None:
        args = [baseline, *(a for a in args if a != baseline)]
    if len(args) < 2:
        raise CompareError("compare needs at least two configs (or one and --baseline)")
    configs = (sources.read(arg) for arg in args)  # one at a time: a sweep's files need not all fit in memory
    outcomes = [runs.read_outcome(arg) if runs.is_run_dir(arg) else None for arg in args]
    return compare(
        configs,
        short_labels(args),
        baseline=baseline is not None,
        ignore=ignore,
        only=only,
        outcomes=outcomes if any(outcomes) else None,
    )


def short_labels(args: Sequence[str]) -> list[str]:
    """Column labels: recipe names as given, files and run directories by their own name,
    with more of the path where two names would collide.

    >>> short_labels(["runs/lr=1e-3", "runs/lr=3e-4/", "tiny_lm", "a/config.txt", "b/config.txt"])
    ['lr=1e-3', 'lr=3e-4', 'tiny_lm', 'a/config.txt', 'b/config.txt']
    """
    parts = [_label_parts(arg) for arg in args]
    depth = [1] * len(args)
    while True:
        labels = [prefix + "/".join(names[-d:]) for (prefix, names), d in zip(parts, depth)]
        clash = {label for label in labels if labels.count(label) > 1}
        deeper = [i for i, label in enumerate(labels) if label in clash and depth[i] < len(parts[i][1])]
        if not deeper:
            break
        for i in deeper:
            depth[i] += 1
    seen: dict[str, int] = {}
    out = []
    for label in labels:  # the same source given twice
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _label_parts(arg: str) -> tuple[str, list[str]]:
    """``(prefix, path components)``: ``main:golden/x.txt`` -> ``('main:', ['golden', 'x.txt'])``."""
    prefix = ""
    if not os.path.exists(arg) and ":" in arg:
        rev, _, rest = arg.partition(":")
        prefix, arg = f"{rev}:", rest
    names = [name for name in arg.replace("\\", "/").split("/") if name not in ("", ".")]
    if not names or names[-1] == "..":  # ``.`` or ``../..``: the directory's own name
        names = [os.path.basename(os.path.abspath(arg)) or arg]
    return prefix, names
