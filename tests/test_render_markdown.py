"""Pull-request comments, read back with a real GFM parser: structure survives hostile text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from cfgdiff.canonical import Text
from cfgdiff.changes import ChangeSet, Problem, RecipeChange, share
from cfgdiff.diff import diff
from cfgdiff.render.markdown import (
    DIFF_MARKER,
    html_text,
    md_code,
    md_text,
    render_changes_markdown,
    render_markdown,
)

# The tags GitHub's renderer makes of cfgdiff's markdown, plus the <details> folds it writes.
ALLOWED_TAGS = {"h2", "h3", "p", "strong", "em", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
                "ul", "li", "blockquote", "details", "summary", "a", "br"}

HOSTILE = ["a|b", "`tick`", "``` fence", "<script>x</script>", "&amp; & <b>", "line\nbreak", "*star* _u_ [l](u) #h"]


class Page(HTMLParser):
    """What a GFM rendering holds: tags (balanced), table rows' cell counts, cell texts, code."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.open: list[str] = []
        self.rows: list[list[int]] = []  # per table: cells per row
        self.cells: list[str] = []
        self.codes: list[str] = []
        self.pres = 0
        self._text: list[str] | None = None
        self._code: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in ("br",):
            self.open.append(tag)
        if tag == "table":
            self.rows.append([])
        elif tag == "tr":
            self.rows[-1].append(0)
        elif tag in ("td", "th"):
            self.rows[-1][-1] += 1
            self._text = []
        elif tag == "code":
            self._code = []
        elif tag == "pre":
            self.pres += 1

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"unbalanced </{tag}> after {self.open}"
        self.open.pop()
        if tag in ("td", "th") and self._text is not None:
            self.cells.append("".join(self._text))
            self._text = None
        elif tag == "code" and self._code is not None:
            self.codes.append("".join(self._code))
            self._code = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)
        if self._code is not None:
            self._code.append(data)

    def handle_comment(self, data):
        assert data.strip().startswith("cfgdiff-"), f"raw HTML was dropped by the renderer: <!--{data}-->"


def check_structure(markdown: str) -> Page:
    """Render as GitHub does (cmark-gfm) and assert: only the tags cfgdiff means (no raw HTML
    leaking), tables keep their columns, every code fence closed, <details> balanced."""
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    page = Page(html)
    assert not page.open, f"unclosed tags: {page.open}"
    assert set(page.tags) <= ALLOWED_TAGS, f"raw HTML leaked: {set(page.tags) - ALLOWED_TAGS}"
    for table in page.rows:
        assert len(set(table)) == 1, f"table rows with different column counts: {table}"
    fences = len(re.findall(r"^(?:>\s*)?\s*`{3,}(?:diff|sh)$", markdown, re.M))
    assert page.pres == fences, "a code fence is not closed (or one swallowed another)"
    return page


@pytest.mark.parametrize("text", HOSTILE)
def test_md_text_renders_as_the_same_plain_words_even_in_a_table(text):
    page = check_structure(f"| {md_text(text)} | x |\n|---|---|\n| {md_text(text)} | y |\n")
    assert page.cells == [" ".join(text.splitlines()), "x", " ".join(text.splitlines()), "y"]


@pytest.mark.parametrize("text", HOSTILE)
def test_md_code_is_one_code_span_even_in_a_table(text):
    page = check_structure(f"| {md_code(text, table=True)} | x |\n|---|---|\n| 1 | 2 |\n")
    assert page.codes == [" ".join(text.splitlines())] and len(page.cells) == 4


def test_html_text_leaves_no_tags():
    assert html_text("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"


def hostile_diff():
    old = "".join(f"{key}: 1\n" for key in ("x['a|b']", "x['`t`']", "y['<b>&']"))
    new = "".join(f"{key}: 2\n" for key in ("x['a|b']", "x['`t`']", "y['<b>&']")) + "z: '```'\n"
    return diff(Text(old, "<old>|`x`"), Text(new, "/tmp/new & <b>"))


def test_a_diff_comment_keeps_its_structure_with_hostile_paths_values_and_title():
    markdown = render_markdown(hostile_diff(), title="<case> | `title`\nsecond line")
    check_structure(markdown)
    assert markdown.startswith(DIFF_MARKER + "\n### ")
    assert "&lt;case&gt;" in cmarkgfm.github_flavored_markdown_to_html(markdown)


def test_a_diff_comment_has_a_default_heading_and_marker():
    markdown = render_markdown(diff(Text("a: 1\n", "old.txt"), Text("a: 2\n", "new.txt")))
    assert markdown.startswith(f"{DIFF_MARKER}\n### cfgdiff: `old.txt` → `new.txt`\n\n**1 changed, 0 added, 0 removed (0 unchanged)**\n")
    assert "```diff\n- a: 1\n+ a: 2\n```" in markdown


def test_a_short_comment_folds_nothing_and_a_long_one_folds_long_sections():
    short = render_markdown(diff("", "".join(f"x[{i}]: {i}\n" for i in range(30))))
    assert "<details>" not in short  # the only section: never folded
    long = render_markdown(diff("", "".join(f"{s}[{i}]: {i}\n" for s in ("a", "b", "c") for i in range(30))))
    check_structure(long)
    assert long.count("<details><summary>") == 3


def test_value_changes_come_before_pure_additions():
    markdown = render_markdown(diff("axis_rules[0]: 1\nbatch: 8\n", "axis_rules[0]: 1\naxis_rules[1]: 2\nbatch: 16\n"))
    assert markdown.index("batch") < markdown.index("axis_rules")


def test_one_change_at_several_paths_is_said_once_with_its_paths():
    old = "a.input.batch_size: 1024\nb.input.batch_size: 1024\nc.batch_size: 1024\n"
    markdown = render_markdown(diff(old, old.replace("1024", "8")))
    assert markdown.count("- batch_size: 1024\n+ batch_size: 8\n") == 1
    assert all(f"    at {p}\n" in markdown for p in ("a.input.batch_size", "b.input.batch_size", "c.batch_size"))
    assert "3 changed" in markdown


def test_a_move_says_what_moved_and_whether_it_changed():
    rules = lambda *names: "".join(f"r[{i}].fn: m.{n}\nr[{i}].x: 1\n" for i, n in enumerate(names))  # noqa: E731
    markdown = render_markdown(diff(rules("clip", "adam"), rules("decay", "clip", "adam")))
    assert "! r[0] -> r[1]  (moved: m.clip, 2 fields, unchanged)" in markdown


def test_markdown_stays_under_the_limit_and_says_what_was_cut():
    d = diff("", "".join(f"s{j}.v[{i}]: {'x' * 50!r}\n" for j in range(3) for i in range(100)))
    markdown = render_markdown(d, limit=5000)
    check_structure(markdown)
    assert len(markdown) <= 5000 and "_Cut to fit GitHub's 5,000-character limit:" in markdown


def test_a_real_size_diff_fits_githubs_limit():
    d = diff("", "".join(f"layers[{i}].w{j}: {'v' * 40!r}\n" for i in range(200) for j in range(20)))
    markdown = render_markdown(d)
    check_structure(markdown)
    assert 60_000 < len(markdown) <= 65_536


def changes(**extra):
    recipes = [
        RecipeChange("a|b", "changed", "recipe a|b changed", diff=diff("x: 1\nk['`|`']: 1\n", "x: 2\nk['`|`']: 2\n")),
        RecipeChange("c<d>", "changed", "recipe c<d> changed", "golden file updated", diff=diff("x: 1\n", "x: 2\n")),
        RecipeChange("e", "added", "recipe e: new recipe (3 fields)"),
    ]
    result = ChangeSet("review of <branch> | `x`", recipes, tally="2 recipes changed, 1 added", **extra)
    result.shared = share(recipes)
    return result


def test_a_review_comment_keeps_its_structure_with_hostile_names_and_problems():
    problems = [Problem("error", "recipe `x|y` <fails> & more", "cfgdiff golden update 'x|y'"), Problem("warning", "w | <i>")]
    markdown = render_changes_markdown(changes(problems=problems, context={"base": "main", "merge_base": "0" * 40, "head": "1" * 40}),
                                       marker="<!-- cfgdiff-review -->")
    page = check_structure(markdown)
    assert markdown.startswith("<!-- cfgdiff-review -->\n## ")
    assert "> [!CAUTION]" in markdown and "> [!WARNING]" in markdown
    assert "cfgdiff golden update 'x|y'\n" in page.codes and page.rows  # the fix, and the overview table
    assert "for commit `1111111111`" in markdown


def test_review_counts_match_the_bodies():
    markdown = render_changes_markdown(changes())
    assert "**Shared by 2 recipes** (`a|b`, `c<d>`): 1 changed" in markdown
    assert "**`a|b`**: 1 changed besides the shared changes" in markdown
    block = markdown.split("**`a|b`**", 1)[1].split("```diff\n", 1)[1].split("```\n", 1)[0]
    assert block == "- k['`|`']: 1\n+ k['`|`']: 2\n"


def test_origins_link_to_the_line_at_the_commit():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Origin:
        file: str
        line: int

        def __str__(self) -> str:
            return f"default, {self.file}:{self.line}"

    new = Text("x: 2\n", "recipe r", origins={"x": Origin("m/model.py", 41)})
    recipes = [RecipeChange("r", "changed", "recipe r changed", diff=diff(Text("x: 1\n", "old"), new))]
    markdown = render_changes_markdown(ChangeSet("t", recipes, context={"blob_url": "https://github.com/o/r/blob/abc/"}))
    assert "- `x`: set at [default, m/model.py:41](https://github.com/o/r/blob/abc/m/model.py#L41)" in markdown
    check_structure(markdown)
