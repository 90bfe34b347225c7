"""Turn a SOURCE argument into a config: a file, a run directory, a git revision, a recipe.

Tried in this order (the first that applies wins):

1. an existing file: canonical text (AXLearn golden files too); ``.json``, ``.toml``,
   ``.yaml``/``.yml`` documents are flattened to the same paths;
2. an existing directory: a run directory holding ``config.txt``;
3. ``REV:PATH``: a file at a git revision (``git show REV:PATH``; PATH from the
   repository root, or ``./PATH`` from the current directory);
4. ``REV:RECIPE``: a recipe built from the code at that revision (temporary worktree,
   separate process);
5. a recipe name;
6. ``package.module:function``: a function returning a config.

Reading a file never imports or runs anything; only recipes and ``module:function`` run
code (and may import jax), and only they import :mod:`cfgdiff.registry`.
"""

from __future__ import annotations

import os
import re
from typing import Any, Union

from cfgdiff import canonical, limits, paths, settings
from cfgdiff.canonical import FlatConfig, Raw, Symbol, Text
from cfgdiff.errors import CfgdiffError

#: What :func:`read` returns: canonical text (diffed without parsing what is equal) or a FlatConfig.
Source = Union[Text, FlatConfig]

DOCUMENT_SUFFIXES = (".json", ".toml", ".yaml", ".yml")
_FILE_LIKE = re.compile(r"[/\\]|\.(txt|json|toml|ya?ml|cfg|conf)\Z")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SourceError(CfgdiffError, ValueError):
    """A SOURCE that cannot be read; the message is one line saying what was tried."""


def resolve(arg: str, *, cwd: str | os.PathLike | None = None) -> FlatConfig:
    """The config a SOURCE argument names, as a FlatConfig whose ``source`` labels it.

    >>> resolve("golden_configs/tiny_lm.txt").source   # doctest: +SKIP
    'golden_configs/tiny_lm.txt'
    """
    found = read(arg, cwd=cwd)
    return found.flat() if isinstance(found, Text) else found


def canonical_text(arg: str, *, cwd: str | os.PathLike | None = None) -> str:
    """The canonical text of the config a SOURCE names (what ``cfgdiff show`` prints);
    canonical text read from a file is checked and comes back as it stands when it is
    in canonical order already (:func:`canonical.normalize`)."""
    found = read(arg, cwd=cwd)
    return canonical.normalize(found.text, found.source) if isinstance(found, Text) else canonical.dumps(found)


def read(arg: str, *, cwd: str | os.PathLike | None = None) -> Source:
    """Like :func:`resolve`, but canonical text stays text, so a diff can skip equal lines."""
    if arg == "-":  # canonical text piped in: git show REV:golden.txt | cfgdiff - golden.txt
        import sys

        return Text(sys.stdin.read(), "<stdin>")
    # os.path, not pathlib: a diff of two files should not pay for importing it.
    base = os.fspath(cwd) if cwd is not None else os.getcwd()
    path = os.path.join(base, arg)
    if os.path.isfile(path):
        return _read_file(path, arg)
    if os.path.exists(path) and not os.path.isdir(path):
        raise SourceError(f"{arg}: {_kind_of(path)}, not a file (cfgdiff reads files, run directories and revisions)")
    if os.path.isdir(path):
        run_config = os.path.join(path, "config.txt")
        if not os.path.isfile(run_config):
            raise SourceError(f"{arg}: a directory without config.txt (a run directory holds its config there)")
        return _read_file(run_config, os.path.join(arg, "config.txt"))
    tried = ["no such file or directory"]
    rev, sep, rest = arg.partition(":")
    if sep and rev and rest:
        if is_revision(rev, base):
            return _at_revision(rev, rest, base)
        tried.append(f"{rev!r} is not a git revision here")
        if settings.is_module_name(rev) and settings.is_module_name(rest):  # as registry.find reads it
            return _from_function(arg, base, tried)
    elif not _FILE_LIKE.search(arg) and arg and not arg.startswith("-"):
        return _recipe(arg, base, tried)
    raise SourceError(f"{arg}: not a config source ({'; '.join(tried)})")


# -- files ------------------------------------------------------------------------------


def _kind_of(path: str) -> str:
    import stat

    mode = os.stat(path).st_mode
    for test, name in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _read_file(path: str, label: str) -> Source:
    suffix = os.path.splitext(path)[1].lower()
    if suffix in DOCUMENT_SUFFIXES:
        with open(path, "rb") as f:
            return parse_document(f.read(), suffix, label)
    try:
        return Text(canonical.read_file(path), label)
    except UnicodeDecodeError as e:
        raise SourceError(f"{label}: not a text file ({e.reason} at byte {e.start})") from None


def parse_document(data: bytes, suffix: str, label: str) -> FlatConfig:
    """A ``.json``/``.toml``/``.yaml`` document, flattened (see :func:`flatten_document`).

    An empty document (``{}``, ``[]``, an empty file) is an empty config. Input past
    :mod:`cfgdiff.limits` (nesting, integer size, YAML aliases expanding to too many
    fields) raises SourceError naming the file, and the line or field path where known.
    """
    try:
        document = _parse(data, suffix, label)
        if document is None:  # an empty YAML file
            document = {}
        if not isinstance(document, (dict, list)):
            raise SourceError(f"{label}: a config document must be a mapping or a list, not {type(document).__name__}")
    except UnicodeDecodeError as e:
        raise SourceError(f"{label}: not a text file ({e.reason} at byte {e.start})") from None
    except RecursionError:  # the parser's own recursion ran out first
        raise SourceError(f"{label}: nested more than {limits.MAX_DEPTH} levels deep") from None
    except limits.LimitError as e:
        raise SourceError(f"{label}: {e}") from None
    try:
        flat = flatten_document(document, max_fields=limits.max_document_fields(len(data)))
    except limits.LimitError as e:
        raise SourceError(f"{label}: {e}") from None
    flat.source = label
    return flat


def _parse(data: bytes, suffix: str, label: str) -> Any:
    try:
        return _parse_format(data, suffix, label)
    except ValueError as e:
        if "integer string conversion" not in str(e):
            raise
        # Python refuses to read an int past its digit limit; say where it stands.
        text = data.decode("utf-8", "replace")
        found = re.search(r"[0-9]{%d}" % (limits.MAX_INT_DIGITS + 1), text)
        where = f":{text.count(chr(10), 0, found.start()) + 1}" if found else ""
        raise SourceError(f"{label}{where}: an integer of more than {limits.MAX_INT_DIGITS:,} digits") from None


def _parse_format(data: bytes, suffix: str, label: str) -> Any:
    if suffix == ".json":
        import json

        try:
            return json.loads(data)
        except json.JSONDecodeError as e:
            raise SourceError(f"{label}:{e.lineno}: invalid JSON: {e.msg}") from None
    if suffix == ".toml":
        import tomllib

        try:
            return tomllib.loads(data.decode("utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise SourceError(f"{label}: invalid TOML: {e}") from None
    try:
        import yaml
    except ImportError:
        raise SourceError(f"{label}: reading YAML needs PyYAML: pip install 'cfgdiff[yaml]'") from None
    try:
        return yaml.load(data, Loader=_yaml_loader(yaml))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        what = getattr(e, "problem", None) or " ".join(str(e).split())  # a ReaderError spans lines
        raise SourceError(f"{label}{where}: invalid YAML: {what}") from None


def _yaml_loader(yaml: Any) -> type:
    """PyYAML's SafeLoader (a config file never constructs objects), refusing deep nesting
    as it scans and composes (5,000 levels would otherwise take seconds to fail).

    Aliases are not copied (they share the object), so an alias bomb loads fast;
    flattening it is what the field limit bounds.
    """

    class Loader(yaml.SafeLoader):
        depth = 0

        def fetch_flow_collection_start(self, token_class: Any) -> None:
            # The scanner's cost grows with the square of the [ { nesting: stop it early.
            limits.check_depth(self.flow_level + 1)
            super().fetch_flow_collection_start(token_class)

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.depth += 1
            try:
                limits.check_depth(self.depth)
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader


def flatten_document(document: Any, max_fields: int | None = None) -> FlatConfig:
    """A JSON/TOML/YAML document as a FlatConfig with the paths canonical text uses.

    Mapping keys that are identifiers become attributes (``model.dim``), other keys dict
    keys (``evalers['eval']``, a ``: `` inside written ``\\x3a ``), list items indices;
    lines come in canonical order. Values a document format has but canonical text does
    not are kept as text: dates as ISO text, sets in sorted order. Raises LimitError past
    ``limits.MAX_DEPTH`` levels, ``max_fields`` fields, an integer past the digit limit,
    or a document that contains itself (a recursive YAML alias).
    """
    out: dict[str, Any] = {}
    _Walk(out, max_fields).walk(document, "", 0)
    flat = FlatConfig()
    for path in paths.sorted_paths(out):
        flat[path] = out[path]
    return flat


class _Walk:
    """One pass over a document, counting fields and tracking the containers it is inside."""

    def __init__(self, out: dict[str, Any], max_fields: int | None) -> None:
        self.out, self.max_fields, self.active = out, max_fields, set()

    def walk(self, value: Any, path: str, depth: int) -> None:
        if isinstance(value, (dict, list, tuple)) and value:
            limits.check_depth(depth + 1)
            if id(value) in self.active:
                raise limits.LimitError(f"{path or 'the document'} contains itself (a recursive alias)")
            self.active.add(id(value))
            if isinstance(value, dict):
                for key, item in value.items():
                    is_attribute = isinstance(key, str) and _IDENTIFIER.match(key)
                    self.walk(item, paths.join(path, key if is_attribute else paths.Key(key)), depth + 1)
            else:
                for i, item in enumerate(value):
                    self.walk(item, paths.join(path, i), depth + 1)
            self.active.discard(id(value))
            return
        if not path:  # an empty document: an empty config
            return
        if self.max_fields is not None and len(self.out) >= self.max_fields:
            raise limits.LimitError(f"expands to more than {self.max_fields:,} fields (YAML aliases?)")
        self.out[path] = _leaf(value, path)


def _leaf(value: Any, path: str) -> Any:
    if type(value) is int:
        try:
            return limits.check_int(value)
        except limits.LimitError as e:
            raise limits.LimitError(f"{path}: {e}") from None
    if value is None or isinstance(value, (bool, int, float, str, bytes, list, tuple, dict, Symbol, Raw)):
        return value
    if isinstance(value, (set, frozenset)):  # YAML !!set: written in sorted order, never hash order
        return Raw("{" + ", ".join(sorted(map(canonical.format_value, value))) + "}" if value else "set()")
    # TOML/YAML dates and times: not canonical values
    return Raw(value.isoformat() if hasattr(value, "isoformat") else repr(value))


# -- git revisions ----------------------------------------------------------------------


def is_revision(rev: str, base: str = ".") -> bool:
    """Whether git itself takes ``rev`` for a commit here (``--end-of-options``: a
    revision spelled like an option, ``-x``, is a name to look up, never an option)."""
    from cfgdiff import git  # lazily: subprocess is not needed to diff two files

    try:
        return git.run(base, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").returncode == 0
    except git.GitError:  # no git: nothing is a revision
        return False


def _at_revision(rev: str, rest: str, base: str) -> Source:
    from cfgdiff import git

    label = f"{rev}:{rest}"
    shown = git.run(base, "show", label, text=False)
    if shown.returncode == 0:
        suffix = os.path.splitext(rest)[1].lower()
        if suffix in DOCUMENT_SUFFIXES:
            return parse_document(shown.stdout, suffix, label)
        try:
            return Text(shown.stdout.decode("utf-8"), label)
        except UnicodeDecodeError as e:
            raise SourceError(f"{label}: not a text file ({e.reason} at byte {e.start})") from None
    if _FILE_LIKE.search(rest):
        raise SourceError(f"{rev}:{rest}: no file {rest!r} at revision {rev}")
    from cfgdiff.registry import RecipeError
    from cfgdiff.revisions import flat_at_revision

    try:
        flat = flat_at_revision(rev, rest, base)
    except (RecipeError, git.GitError) as e:
        raise SourceError(f"{label}: {e}") from None
    flat.source = label
    return flat


# -- code -------------------------------------------------------------------------------


def _recipe(name: str, base: str, tried: list[str]) -> Source:
    from cfgdiff.provenance import project_root as provenance_root
    from cfgdiff.registry import RecipeError, discover

    try:
        registry = discover(base)
        if name not in registry:
            tried.append(registry.unknown(name))
            raise SourceError(f"{name}: not a config source ({'; '.join(tried)})")
        return registry[name].text(f"recipe {name}", provenance_root(base))
    except RecipeError as e:
        raise SourceError(str(e)) from None


def _from_function(ref: str, base: str, tried: list[str]) -> Source:
    """``package.module:function``: import the module, call the function, write its config.

    When no such module exists either, REV:RECIPE with a mistyped revision is the likelier
    meaning (``master:tiny_lm`` where the branch is ``main``), so both readings are named.
    """
    from cfgdiff.provenance import project_root as provenance_root
    from cfgdiff.registry import RecipeError, find

    module = ref.partition(":")[0]
    try:
        return find(ref, base).text(ref, provenance_root(base))
    except RecipeError as e:
        missing = e.__cause__
        if isinstance(missing, ModuleNotFoundError) and missing.name and f"{module}.".startswith(f"{missing.name}."):
            tried.append(f"no module named {missing.name!r}")
            raise SourceError(f"{ref}: not a config source ({'; '.join(tried)})") from None
        raise SourceError(str(e)) from None
