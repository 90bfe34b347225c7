"""Labels: what a changed field means for a run, from path globs.

A rule maps path globs to a label; a changed field carries every label whose globs match
its path, with ``--ignore``'s glob semantics (``*`` any text, whole path segments, a glob
matching a node covers its subtree). A project writes its rules in ``pyproject.toml``::

    [tool.cfgdiff]
    labels = {"breaks-checkpoint" = ["model.*_dim", "model.vocab_size"], "changes-data" = ["data"]}

A label named there replaces the built-in rule of that name; the other built-in rules
(:data:`DEFAULT_RULES`, for cfgdiff's reference trainer) stay. ``--fail-on LABEL`` makes a
diff fail only on changes that carry the label, and ``cfgdiff run`` refuses to resume a
run whose config changed a ``breaks-checkpoint`` field.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from cfgdiff.diff import Diff, glob_matcher
from cfgdiff.errors import CfgdiffError

if TYPE_CHECKING:
    from cfgdiff.changes import ChangeSet

#: The label of fields whose change makes an existing checkpoint unloadable.
BREAKS_CHECKPOINT = "breaks-checkpoint"

#: Built-in rules for the reference trainer (:class:`cfgdiff.train.trainer.Trainer`).
DEFAULT_RULES: dict[str, tuple[str, ...]] = {
    # Parameter shapes and dtypes, and the optimizer state's structure and dtypes.
    BREAKS_CHECKPOINT: (
        "model.klass", "model.vocab_size", "model.dim", "model.num_layers", "model.num_heads",
        "model.num_kv_heads", "model.head_dim", "model.ffn_dim", "model.tied_embeddings", "model.param_dtype",
        "optimizer.fn", "optimizer.transforms[*].fn", "optimizer.*mu_dtype",
    ),
    # The learning-rate schedule (a float or a schedule config).
    "changes-schedule": ("optimizer.*learning_rate",),
    # What the model reads: corpus, tokenizer, sequence length, batch, sampling seed.
    "changes-data": ("data",),
}


class LabelError(CfgdiffError, ValueError):
    """A label no rule defines (a typo in ``--fail-on`` must not pass silently)."""


class Labeler:
    """Labels of field paths, from ``{label: globs}`` rules in the order given."""

    def __init__(self, rules: Mapping[str, Iterable[str]]) -> None:
        self.rules = {label: tuple(globs) for label, globs in rules.items()}
        self._matchers = [(label, glob_matcher(globs)) for label, globs in self.rules.items() if globs]
        self._cache: dict[str, tuple[str, ...]] = {}

    @classmethod
    def for_project(cls, start: str | os.PathLike = ".") -> Labeler:
        """The built-in rules, with those named in ``[tool.cfgdiff] labels`` of the project at ``start`` replacing theirs."""
        from cfgdiff import settings

        pyproject, table = settings.find(start)
        project = settings.label_rules(pyproject, table) if pyproject is not None else {}
        return cls({**DEFAULT_RULES, **project})

    def labels_for(self, path: str) -> tuple[str, ...]:
        """The labels of ``path``, in rule order: ``labels_for("model.dim") == ("breaks-checkpoint",)``."""
        found = self._cache.get(path)
        if found is None:
            found = self._cache[path] = tuple(label for label, matcher in self._matchers if matcher.match(path))
        return found

    def breaking(self, paths: Iterable[str], label: str = BREAKS_CHECKPOINT) -> list[str]:
        """The paths among ``paths`` that carry ``label``."""
        return [p for p in paths if label in self.labels_for(p)]

    def check(self, labels: Iterable[str]) -> None:
        """Raise LabelError for a label that no rule defines, naming the ones that exist."""
        for label in labels:
            if label not in self.rules:
                known = ", ".join(self.rules) or "none"
                raise LabelError(f"--fail-on {label!r}: no rule defines this label (labels: {known}; see [tool.cfgdiff] labels)")

    def fails(self, d: Diff, labels: Iterable[str]) -> bool:
        """Whether ``d`` touches a field carrying any of ``labels``."""
        wanted = set(labels)
        return any(wanted.intersection(found) for found in self.of_diff(d).values())

    def of_diff(self, d: Diff) -> dict[str, tuple[str, ...]]:
        """``{path: labels}`` of every labelled field a diff touches (both ends of a move, and inside it)."""
        return {path: found for path in touched_paths(d) if (found := self.labels_for(path))}

    def tally(self, d: Diff) -> dict[str, int]:
        """How many touched fields carry each label, in rule order: ``{"breaks-checkpoint": 2}``."""
        return label_counts(self.of_diff(d).values())

    def annotate(self, d: Diff, prefix: str = "") -> Diff:
        """Set ``d.labels`` (and each moved subtree's, by its relative paths) for the writers; returns ``d``.

        ``prefix`` is where ``d``'s paths start (inside a move: its new path).
        """
        d.labels = {}
        for path in [f.path for f in (*d.changed, *d.added, *d.removed)]:
            if found := self.labels_for(prefix + path):
                d.labels[path] = found
        for move in d.moved:
            for path in (move.old_path, move.new_path):
                if found := self.labels_for(prefix + path):
                    d.labels[path] = found
            self.annotate(move.diff, prefix + move.new_path)
        return d

    def annotate_changes(self, changes: ChangeSet) -> None:
        """Annotate every diff of a change set: each recipe's, what is its own, the shared ones."""
        for recipe in changes.recipes:
            for d in (recipe.diff, recipe.own):
                if d is not None:
                    self.annotate(d)
        for shared in changes.shared:
            self.annotate(shared.diff)


def touched_paths(d: Diff) -> list[str]:
    """Every field path a diff changes, adds or removes; a moved subtree's old and new paths and the fields inside it."""
    out = [f.path for f in (*d.changed, *d.added, *d.removed)]
    for move in d.moved:
        inner = touched_paths(move.diff)
        out += [move.old_path, move.new_path, *(move.new_path + p for p in inner)]
    return out


def label_counts(found: Iterable[tuple[str, ...]]) -> dict[str, int]:
    """How many of ``found`` (each a field's labels) carry each label, most first."""
    return dict(Counter(label for labels in found for label in labels).most_common())


def diff_label_counts(d: Diff) -> dict[str, int]:
    """Label counts of an annotated diff, moved subtrees included."""
    counts = label_counts(d.labels.values())
    for move in d.moved:
        for label, n in diff_label_counts(move.diff).items():
            counts[label] = counts.get(label, 0) + n
    return counts


def tally_text(counts: Mapping[str, int]) -> str:
    """``2 breaks-checkpoint, 1 changes-data`` (fields per label), '' when none."""
    return ", ".join(f"{n:,} {label}" for label, n in counts.items())
