"""What one code change does to many recipes: shared changes said once, each recipe's own, slips.

``golden check``, ``golden update``, ``review`` and the pytest plugin all describe the same
thing, a set of recipes each with a :class:`~cfgdiff.diff.Diff`, so they share one model, a
:class:`ChangeSet`, and the writers in :mod:`cfgdiff.render` show it in every format.

A change is *shared* when the same entry (by :func:`~cfgdiff.diff.entry_key`: a changed
field, a target group, a move) appears in the diffs of several recipes. One shared default
that moved in 155 recipes is then said once, with the list of recipes, and a list insertion
reads as one added item and its moves, not as renumbered fields.
"""

from __future__ import annotations

import dataclasses

from cfgdiff.diff import Diff, entry_key

#: A change is said once as shared when this many recipes have it.
MIN_SHARED = 2


@dataclasses.dataclass(frozen=True)
class SharedChange:
    """Entries found identically in the diffs of ``recipes`` (and no other), as one Diff."""

    recipes: tuple[str, ...]
    diff: Diff


@dataclasses.dataclass
class RecipeChange:
    """One recipe in a change set.

    ``status`` is a word for the reader (``differs``, ``updated``, ``added``, ``removed``,
    ``error``...); ``note`` is its headline (``recipe x differs from golden_configs/x.txt``),
    ``remark`` a short fact beside it (``golden file updated``).
    ``diff`` is the recipe's whole diff; ``own`` what is left of it after the shared changes.
    ``fix`` is the command that resolves it, when there is one.
    """

    name: str
    status: str
    note: str = ""
    remark: str = ""
    diff: Diff | None = None
    own: Diff | None = None
    fix: str | None = None

    @property
    def shown(self) -> Diff | None:
        """What to show of the recipe's diff: ``own`` once the shared changes are said, else ``diff``."""
        return self.own if self.own is not None else self.diff

    @property
    def only_shared(self) -> bool:
        """Whether every change of this recipe is said among the shared changes."""
        return self.diff is not None and bool(self.diff) and self.own is not None and not self.own


@dataclasses.dataclass(frozen=True)
class Problem:
    """Something a reviewer must act on: ``severity`` is ``error`` or ``warning``."""

    severity: str
    message: str
    fix: str | None = None


@dataclasses.dataclass
class ChangeSet:
    """Recipes and their diffs, the changes they share, the problems found, and the verdict.

    ``title`` heads the output; ``tally`` is the closing line; ``fix`` the command that
    accepts everything (``cfgdiff golden update ...``); ``context`` holds facts such as the
    base revision and merge base.
    """

    title: str
    recipes: list[RecipeChange]
    shared: list[SharedChange] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    tally: str = ""
    fix: str | None = None
    context: dict[str, str] = dataclasses.field(default_factory=dict)
    #: Show each recipe's field diff (``golden update`` says one line per file instead).
    details: bool = True
    #: How recipes that differ only by the shared changes are said: "5 recipes differ only by ...".
    verb: str = "differ"

    @property
    def changed(self) -> list[RecipeChange]:
        """The recipes whose diff is not empty."""
        return [r for r in self.recipes if r.diff]


def share(recipes: list[RecipeChange], min_recipes: int = MIN_SHARED) -> list[SharedChange]:
    """Find the changes several recipes share, and set each recipe's ``own`` diff.

    Entries are grouped by the exact set of recipes that have them, so "these 5 recipes
    moved ``norm_eps`` and inserted a layer" is one shared change, listed before the
    recipes' own changes; sets of more recipes come first.
    """
    have: dict[object, list[str]] = {}
    diffs = {r.name: r.diff for r in recipes if r.diff}
    for name, d in diffs.items():
        for entry in d.entries():
            key = entry_key(entry)
            have.setdefault(key, []).append(name)
    by_set: dict[tuple[str, ...], list[object]] = {}
    for key, names in have.items():
        if len(names) >= min_recipes:
            by_set.setdefault(tuple(names), []).append(key)
    shared = []
    for names, keys in sorted(by_set.items(), key=lambda item: (-len(item[0]), item[0])):
        template = diffs[names[0]]
        wanted = set(keys)
        # The shared entries, with the first recipe's sources and origins (the same code set them).
        only = template.without({entry_key(e) for e in template.entries()} - wanted)
        # The figures of the first recipe are its own, not the shared changes'.
        shared.append(SharedChange(names, dataclasses.replace(only, unchanged=0, impact=[])))
    said = {key for keys in by_set.values() for key in keys}
    for r in recipes:
        if r.diff is not None:
            r.own = r.diff.without(said)
    return shared


def name_list(names: list[str] | tuple[str, ...], limit: int = 10) -> str:
    """``a, b, c`` or ``a, b, ... (40 more)``: recipe names for a one-line message."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])}, ... ({len(names) - limit} more)"
