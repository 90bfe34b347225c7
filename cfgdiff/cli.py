"""The ``cfgdiff`` command line: a thin click layer over the library.

``cfgdiff OLD NEW`` is short for ``cfgdiff diff OLD NEW``; the console script
(:mod:`cfgdiff.console`) runs that and ``show SOURCE``, without options, without click.
Exit codes follow diff(1): 0 same, 1 different, 2 trouble. Every expected failure is one
line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from cfgdiff.console import USER_ERRORS, diff_report, error_line, project_labeler, show_report, use_color
from cfgdiff.errors import CfgdiffError

if TYPE_CHECKING:  # imported by the commands that use them, not on every start
    from cfgdiff.changes import ChangeSet
    from cfgdiff.labels import Labeler


class DefaultGroup(click.Group):
    """A group whose first argument, when it is not a command, is handed to ``diff``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["diff", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # a reader that stopped early (| head): click's main ends quietly
            raise
        except USER_ERRORS as e:
            click.echo(f"cfgdiff: error: {error_line(e)}", err=True)
            ctx.exit(getattr(e, "exit_code", 2))


def color_option(fn: Any) -> Any:
    """``--color auto|always|never`` (auto: on a terminal, unless NO_COLOR is set)."""
    return click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Colour the output (NO_COLOR turns auto off).",
    )(fn)


def fail_on_option(fn: Any) -> Any:
    """``--fail-on LABEL`` (repeatable): exit 1 only for changes carrying one of the labels."""
    return click.option(
        "--fail-on",
        multiple=True,
        metavar="LABEL",
        help="Exit 1 only if a change carries LABEL (e.g. breaks-checkpoint; [tool.cfgdiff] labels); repeatable.",
    )(fn)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cfgdiff")
def main() -> None:
    """Compare training configs field by field.

    \b
      cfgdiff OLD NEW            what changed between two configs
      cfgdiff compare A B C ...  the fields that differ among many configs
      cfgdiff show SOURCE        a config's canonical text
      cfgdiff blame SOURCE       each field's value and the line of code that set it

    A SOURCE is a canonical text file (AXLearn golden files too), a .json/.toml/.yaml
    file, a run directory holding config.txt, REV:PATH (a file at a git revision), a
    recipe name, REV:RECIPE, package.module:function, or - (canonical text on stdin).
    Exit codes: 0 same, 1 different, 2 trouble.
    """


# Commands are added below, one section per domain; each is a thin wrapper over a library call.


# -- recipes, golden files, review, hooks: cfgdiff.registry / golden / review / hooks ----


@main.command("list")
@click.pass_context
def list_recipes(ctx: click.Context) -> None:
    """List the project's recipes, each with the file:line defining it."""
    from cfgdiff.registry import discover

    registry = discover()
    width = max(map(len, registry), default=0)
    for name, recipe in registry.items():
        click.echo(f"{name:<{width}}  {recipe.location}")
    for error in registry.errors:
        click.echo(f"cfgdiff: error: {error}", err=True)
    ctx.exit(2 if registry.errors else 0)


@main.group("golden")
def golden_group() -> None:
    """Golden files: each recipe's canonical config, checked in (see [tool.cfgdiff])."""


def format_option(fn: Any) -> Any:
    """``--format text|stat|markdown|json``: how a command shows the changes it found."""
    from cfgdiff.render import FORMATS

    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
        help="text for a terminal, stat for counts, markdown for a pull-request comment, json for programs.",
    )(fn)


@golden_group.command("check")
@click.argument("recipes", nargs=-1)
@click.option("--staged", is_flag=True, help="Check only if git stages Python, pyproject or golden files (the pre-commit hook).")
@format_option
@fail_on_option
@color_option
@click.pass_context
def golden_check(ctx: click.Context, recipes: tuple[str, ...], staged: bool, fmt: str, fail_on: tuple[str, ...], color: str) -> None:
    """Build RECIPES (default: all) and compare each with its golden file.

    Exit codes: 0 all match, 1 a golden file differs, is missing or is stale (with
    --fail-on: a change carries one of the labels), 2 trouble.
    """
    from cfgdiff import golden, hooks
    from cfgdiff.registry import discover

    registry = discover()
    golden.require_project(registry)
    labeler = project_labeler(registry.root, fail_on)
    if staged:
        files = hooks.staged_recipe_files(registry)
        if not files:
            return
        more = f" and {len(files) - 1} more" if len(files) > 1 else ""
        every = f"all {len(registry)} recipes" if len(registry) != 1 else "its 1 recipe"
        click.echo(f"cfgdiff: staged {files[0]}{more} may change recipes: checking {every}")
    report = golden.check(registry, recipes)
    changes = golden.changeset(report)
    _write_changes(changes, labeler, fmt, color)
    if fail_on and report.exit_code != 2:
        ctx.exit(1 if _labelled(changes, labeler, fail_on) else 0)
    if staged and report.exit_code == 1:
        click.echo(f"Then stage them: git add {os.path.relpath(registry.golden_dir)}")
    if staged and report.exit_code == 0:
        # The check read the working tree; a golden file updated there but not staged
        # would pass here and still be missing from the commit.
        unstaged = hooks.unstaged_golden_files(registry)
        if unstaged:
            click.echo(f"cfgdiff: golden files changed but not staged: stage them: git add {' '.join(unstaged)}")
            ctx.exit(1)
    ctx.exit(report.exit_code)


@golden_group.command("update")
@click.argument("recipes", nargs=-1)
@click.option("--prune", is_flag=True, help="Also remove golden files whose recipe is gone.")
@color_option
@click.pass_context
def golden_update(ctx: click.Context, recipes: tuple[str, ...], prune: bool, color: str) -> None:
    """Rewrite the golden files of RECIPES (default: all) that differ, atomically; say
    which, and count the labels of what changed, as 'golden check' does."""
    from cfgdiff import golden
    from cfgdiff.registry import discover

    registry = discover()
    golden.require_project(registry)
    labeler = project_labeler(registry.root, ())
    report = golden.update(registry, recipes, prune=prune)
    _write_changes(golden.changeset(report), labeler, "text", color)
    ctx.exit(report.exit_code)


@main.command("review")
@click.option("--base", metavar="REV", help="Compare with the merge base of REV (default: the upstream branch, else main).")
@format_option
@fail_on_option
@color_option
@click.pass_context
def review_command(ctx: click.Context, base: str | None, fmt: str, fail_on: tuple[str, ...], color: str) -> None:
    """What this branch does to every recipe's config, for a pull request.

    Exit codes: 0 the review was made (with --fail-on: and no change carries one of the
    labels), 1 with --fail-on, a change carries one of them, 2 trouble.
    """
    from cfgdiff import review

    labeler = project_labeler(".", fail_on)
    changes = review.changeset(review.review(base))
    _write_changes(changes, labeler, fmt, color, marker=review.MARKER)
    if fail_on:
        ctx.exit(1 if _labelled(changes, labeler, fail_on) else 0)


def _write_changes(changes: ChangeSet, labeler: Labeler, fmt: str, color: str, marker: str | None = None) -> None:
    """A change set, its changes labelled, in ``fmt`` (coloured as ``--color`` says for text and stat)."""
    from cfgdiff import render

    colored = use_color(color) and fmt in ("text", "stat")
    labeler.annotate_changes(changes)
    click.echo(render.write_changes(changes, fmt, color=colored, marker=marker), nl=False, color=colored)


def _labelled(changes: ChangeSet, labeler: Labeler, fail_on: tuple[str, ...]) -> bool:
    """Whether a recipe's diff in a change set touches a field carrying one of ``fail_on``."""
    return any(labeler.fails(r.diff, fail_on) for r in changes.recipes if r.diff)


@main.group("hooks")
def hooks_group() -> None:
    """Git hooks that keep golden files in step with the recipes."""


@hooks_group.command("install")
@click.option("--force", is_flag=True, help="Replace a different existing pre-commit hook (kept as pre-commit.before-cfgdiff).")
def hooks_install(force: bool) -> None:
    """Install the pre-commit hook that runs 'cfgdiff golden check' on commits touching recipes."""
    from cfgdiff import hooks

    path, what = hooks.install(".", force=force)
    click.echo(f"{what}: {os.path.relpath(path)}")


# -- training: cfgdiff.train (jax is imported inside these commands only) --------------


@main.command()
@click.argument("recipe")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a config field (repeatable); values as in canonical text: 4, 1e-3, 'text', jax.numpy.bfloat16.")
@click.option("--run-dir", help="Where config.txt, metrics.jsonl and checkpoints go (default: runs/<recipe>); an existing run resumes.")
@click.option("--steps", type=click.IntRange(min=1), help="Train to this step (sets max_steps; the learning-rate schedule follows).")
@click.option("--allow-corpus-change", is_flag=True, help="Resume even though the corpus differs from the one the run was trained on.")
@click.option("--aot", is_flag=True, help="Only lower and compile the train step for the recipe's mesh, on simulated CPU devices.")
@click.option("--devices", type=click.IntRange(min=1), default=8, show_default=True, help="Simulated CPU devices for --aot.")
def run(recipe: str, overrides: tuple[str, ...], run_dir: str | None, steps: int | None, allow_corpus_change: bool, aot: bool, devices: int) -> None:
    """Train RECIPE, or with --aot prove that it compiles for its mesh.

    Everything is checked before the run directory is touched: field types and
    constraints, the mesh, memory, and (on resume) the step and the corpus. A terminal
    shows a progress bar; otherwise a line every 10 seconds. Ctrl-C stops; the same
    command resumes from the last checkpoint.

    \b
      cfgdiff run tiny_lm --steps 100 --set model.num_layers=4
      cfgdiff run llama_7b --aot --devices 8
      cfgdiff runs/a runs/b        compare two runs' config.txt
    """
    from cfgdiff.train import aot as aot_lib
    from cfgdiff.train import launch

    if aot and not aot_lib.use_cpu_devices(devices):
        _rerun_in_subprocess(aot_lib.subprocess_env(devices))
        return
    cfg = launch.recipe_config(recipe, overrides, steps)
    if aot:
        click.echo(aot_lib.format_report(recipe, aot_lib.compile_report(cfg, devices)))
        return

    import jax

    from cfgdiff.train.mesh import initialize_distributed
    from cfgdiff.train.metrics import steady_state
    from cfgdiff.train.trainer import TrainingDiverged
    from cfgdiff.train.validate import check

    initialize_distributed()
    run_dir = run_dir or launch.default_run_dir(recipe)
    check(cfg, jax.devices(), jax.process_count())  # one line for a config that is not a Trainer's, before instantiate
    lead = jax.process_index() == 0
    launch.refuse_other_config(cfg, run_dir)
    trainer = cfg.instantiate()
    start = trainer.prepare(run_dir, allow_corpus_change)
    if start >= cfg.max_steps:
        click.echo(f"{run_dir} is already at step {start}; --steps N trains further")
        return
    if lead:
        launch.write_config(cfg, run_dir, "cfgdiff " + " ".join(sys.argv[1:]))
    try:
        records = trainer.run(run_dir, allow_corpus_change)
    except TrainingDiverged as e:
        raise click.ClickException(str(e)) from None
    except KeyboardInterrupt:
        from cfgdiff.train.checkpoint import latest_step

        saved = latest_step(os.path.join(run_dir, "checkpoints"))
        where = f"step {saved}" if saved else "the start (no checkpoint yet)"
        click.echo(f"\ninterrupted; running the same command resumes from {where}", err=True)
        sys.exit(130)
    if records and lead:
        last, steady = records[-1], steady_state(records)
        evals = [r["eval_loss"] for r in records if r.get("eval_loss") is not None]
        eval_text = f", eval loss {evals[-1]:.4f}" if evals else ""
        mfu = f", MFU {steady['mfu']:.1%}" if steady["mfu"] is not None else ""
        click.echo(f"step {last['step']}: loss {last['loss']:.4f}{eval_text}; median {steady['tokens_per_s']:,.0f} tokens/s{mfu} "
                   f"over {steady['steps']} steady steps; run dir {run_dir}")
        _draw_loss_png(run_dir)


def _draw_loss_png(run_dir: str) -> None:
    """``<run_dir>/loss.png`` for a finished run, when matplotlib is installed (the plot extra)."""
    from cfgdiff.train import plot

    try:
        plot.load_matplotlib()
    except plot.PlotError:
        return
    plot.plot_runs([run_dir], os.path.join(run_dir, "loss.png"))


def _rerun_in_subprocess(env: dict[str, str]) -> None:
    """Run this command again in a fresh Python, whose jax starts with ``env``'s XLA flags."""
    import subprocess

    ctx = click.get_current_context()
    command = [sys.executable, "-c", "from cfgdiff.cli import main; main()", *_command_line(ctx)]
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    if proc.stdout:
        click.echo(proc.stdout, nl=False)
    if proc.stderr:
        click.echo(proc.stderr, nl=False, err=True)
    ctx.exit(proc.returncode)


def _command_line(ctx: click.Context) -> list[str]:
    """The arguments of the ``run`` command being executed, rebuilt from its parameters."""
    p = ctx.params
    args = ["run", p["recipe"], "--aot", "--devices", str(p["devices"])]  # --aot writes no run dir: no resume flags
    for item in p["overrides"]:
        args += ["--set", item]
    if p["steps"] is not None:
        args += ["--steps", str(p["steps"])]
    return args


@main.command()
@click.argument("run_dir")
@click.option("--prompt", "prompts", multiple=True, help="Text to continue. Repeatable: the prompts are sampled as one batch.")
@click.option("--tokens", type=click.IntRange(min=1), default=300, show_default=True, help="Bytes to generate.")
@click.option("--temperature", type=click.FloatRange(min=0.0), default=0.8, show_default=True, help="0 is greedy.")
@click.option("--top-k", type=click.IntRange(min=1), default=40, show_default=True, help="Sample from the k likeliest bytes.")
@click.option("--seed", type=int, default=0, show_default=True)
def sample(run_dir: str, prompts: tuple[str, ...], tokens: int, temperature: float, top_k: int, seed: int) -> None:
    """Generate text from RUN_DIR's latest checkpoint (with a KV cache).

    \b
      cfgdiff sample runs/small_lm --prompt "def " --temperature 0
      cfgdiff sample runs/tiny_lm --prompt "12 " --prompt "47 def"
    """
    from cfgdiff.train.sample import generate, load_params, model_from_run

    prompts = prompts or ("",)
    model, seq_len = model_from_run(run_dir)
    params, _ = load_params(run_dir, model)
    texts = generate(model, params, prompts, tokens, seq_len, temperature=temperature, top_k=top_k, seed=seed)
    for i, (prompt, text) in enumerate(zip(prompts, texts), 1):
        if len(prompts) > 1:
            click.echo(f"== sample {i} ==")
        click.echo(prompt + text)


@main.command("plot")
@click.argument("run_dirs", nargs=-1, required=True, metavar="RUN_DIR...")
@click.option("-o", "--output", metavar="FILE", help="The PNG to write (default: loss.png in the run dir for one run, else ./runs.png).")
def plot_command(run_dirs: tuple[str, ...], output: str | None) -> None:
    """Loss, eval loss and tokens/s against step for RUN_DIRs, overlaid, in a PNG.

    The title names the config fields that differ between the runs. Needs matplotlib:
    pip install 'cfgdiff[plot]'.

    \b
      cfgdiff plot runs/tiny_lm
      cfgdiff plot runs/lr-1e-3 runs/lr-3e-3 -o lr.png
    """
    from cfgdiff.train.plot import plot_runs

    if output is None:
        output = os.path.join(run_dirs[0], "loss.png") if len(run_dirs) == 1 else "runs.png"
    click.echo(plot_runs(run_dirs, output))


# -- comparing configs: cfgdiff.sources / diff / render / gitsetup ----------------------


@main.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text for a terminal, markdown for a pull-request comment, json for programs.")
@click.option("--stat", is_flag=True, help="Only counts per top-level subtree.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code says whether the configs differ.")
@click.option("--ignore", multiple=True, metavar="GLOB", help="Leave out paths matching GLOB (* matches anything; repeatable).")
@click.option("--only", metavar="PREFIX", help="Compare only the subtree at PREFIX (e.g. model.decoder).")
@click.option("--title", help="A heading for --format markdown (e.g. the recipe's name).")
@fail_on_option
@color_option
@click.pass_context
def diff_command(
    ctx: click.Context,
    old: str,
    new: str,
    fmt: str,
    stat: bool,
    quiet: bool,
    ignore: tuple[str, ...],
    only: str | None,
    title: str | None,
    fail_on: tuple[str, ...],
    color: str,
) -> None:
    """What differs between two configs, field by field.

    OLD and NEW are SOURCEs (see 'cfgdiff --help'). Exit code 0: same; 1: different
    (with --fail-on: a change carries one of the labels); 2: trouble.
    """
    if stat and fmt != "text":
        raise click.UsageError("--stat prints text; leave out --format")
    if title and fmt != "markdown":
        raise click.UsageError("--title heads a markdown comment; add --format markdown")
    text, code = diff_report(old, new, fmt=fmt, stat=stat, quiet=quiet, ignore=ignore, only=only, title=title,
                             fail_on=fail_on, color=color)
    click.echo(text, nl=False, color=True)  # coloured by diff_report where --color says: click must not strip it
    ctx.exit(code)


@main.command("compare")
@click.argument("sources", metavar="SOURCE...", nargs=-1)
@click.option("--baseline", metavar="SOURCE", help="The first column; the others show a value only where it differs "
              "from the baseline's (an empty cell: the same).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "csv", "json"]), default="text", show_default=True,
              help="text for a terminal (long values cut), markdown for a pull request, csv and json for programs.")
@click.option("--ignore", multiple=True, metavar="GLOB", help="Leave out paths matching GLOB (* matches anything; repeatable).")
@click.option("--only", metavar="PREFIX", help="Compare only the subtree at PREFIX (e.g. model.decoder).")
@click.option("--title", help="A heading for --format markdown.")
@color_option
@click.pass_context
def compare_command(
    ctx: click.Context,
    sources: tuple[str, ...],
    baseline: str | None,
    fmt: str,
    ignore: tuple[str, ...],
    only: str | None,
    title: str | None,
    color: str,
) -> None:
    """One table of the fields that differ among many configs: a column per SOURCE.

    \b
      cfgdiff compare tiny_lm small_lm gpt2_small llama_1b llama_7b
      cfgdiff compare runs/* --baseline runs/base --only optimizer
      cfgdiff compare runs/* --format csv > sweep.csv

    Unchanged fields are counted, not shown; a field a config lacks is '(absent)'.
    Run directories also show their outcomes (final and eval loss, steps, median tokens/s
    and MFU, corpus hash, jax version) from metrics.jsonl and data.json.
    Exit code 0: all the same; 1: some field differs; 2: trouble.
    """
    from cfgdiff.compare import compare_sources
    from cfgdiff.render import table

    if title and fmt != "markdown":
        raise click.UsageError("--title heads a markdown comment; add --format markdown")
    result = compare_sources(sources, baseline=baseline, ignore=ignore, only=only)
    colored = use_color(color) and fmt == "text"
    if fmt == "markdown":
        text = table.render_table_markdown(result, title=title)
    elif fmt == "csv":
        text = table.render_table_csv(result)
    elif fmt == "json":
        text = table.render_table_json(result)
    else:
        text = table.render_table_text(result, color=colored)
    click.echo(text, nl=False, color=colored)
    ctx.exit(1 if result else 0)


@main.command("show")
@click.argument("source", metavar="SOURCE")
@click.option("--textconv", is_flag=True, help="For git's textconv: never fail; print input that is not a config unchanged.")
@click.option("--non-default", is_flag=True,
              help="Only the fields the code set, not those at their declared default (a recipe's own settings).")
@click.option("--impact", "figures", is_flag=True, help="Print the config's impact figures (parameters, tokens per step, ...) instead.")
@color_option
def show(source: str, textconv: bool, non_default: bool, figures: bool, color: str) -> None:
    """A config's canonical text: one sorted 'path: value' line per field."""
    from cfgdiff import sources

    if textconv and non_default:
        raise click.UsageError("--textconv prints whole files; leave out --non-default")
    if figures:
        if textconv:
            raise click.UsageError("--impact and --textconv do not go together")
        from cfgdiff import impact

        impact.load_project(".")
        for line in impact.table(impact.describe(sources.resolve(source))):
            click.echo(line)
        return
    if textconv:
        try:
            text = sources.canonical_text(source) if os.path.getsize(source) else ""
        except (*USER_ERRORS, UnicodeDecodeError):
            with open(source, "rb") as f:
                sys.stdout.buffer.write(f.read())
            return
        click.echo(text, nl=False)
        return
    click.echo(show_report(source, non_default=non_default, color=color), nl=False, color=True)  # as diff_command


# -- where values came from: cfgdiff.provenance / blame ---------------------------------


@main.command("blame")
@click.argument("source", metavar="SOURCE")
@click.argument("prefix", metavar="[PATH_PREFIX]", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: aligned columns for a terminal; json: for programs.")
@color_option
def blame_command(source: str, prefix: str | None, fmt: str, color: str) -> None:
    """Every field of SOURCE with its value and the line of code that set it.

    \b
      cfgdiff blame tiny_lm model          who set each model.* field
      cfgdiff blame HEAD~3:tiny_lm         the same, in the code at HEAD~3

    A field never set shows 'default, FILE:LINE', where its target declares it. SOURCE must
    be built by cfgdiff (a recipe, package.module:function, REV:RECIPE): files have no origins.
    """
    from cfgdiff import blame, sources

    flat = blame.select(sources.resolve(source), prefix)
    if fmt == "json":
        click.echo(blame.format_json(flat), nl=False)
        return
    colored = use_color(color)
    click.echo(blame.format_text(flat, color=colored), nl=False, color=colored)


@main.command("explain")
@click.argument("source", metavar="SOURCE")
@click.argument("path", metavar="PATH")
def explain_command(source: str, path: str) -> None:
    """What the field PATH of SOURCE configures, and where its value came from.

    \b
      cfgdiff explain tiny_lm model.norm_eps
      cfgdiff explain HEAD~3:tiny_lm model.norm_eps

    Names the target class or function, the parameter, its annotation, declared default and
    docstring line. SOURCE is a recipe name, package.module:function, or REV:RECIPE (the
    recipe as the code at git revision REV builds it).
    """
    from cfgdiff import blame, provenance, sources
    from cfgdiff.config import ConfigBase
    from cfgdiff.registry import RecipeError, find

    rev, sep, name = source.partition(":")
    if sep and rev and name and sources.is_revision(rev):
        from cfgdiff.git import GitError
        from cfgdiff.revisions import explain_at_revision

        try:
            click.echo(explain_at_revision(rev, name, path), nl=False)
        except (RecipeError, GitError) as e:
            raise provenance.ProvenanceError(f"{source}: {e}") from None
        return
    try:
        recipe = find(source)
    except CfgdiffError as e:
        not_revision = f"{rev!r} is not a git revision here; " if sep and rev and name else ""
        raise provenance.ProvenanceError(
            f"{source}: explain builds a recipe (a name, package.module:function or REV:RECIPE): {not_revision}{e}"
        ) from None
    tree = recipe.build()
    if not isinstance(tree, ConfigBase):
        raise provenance.ProvenanceError(f"{source}: the recipe returns a {type(tree).__name__}, not a config")
    try:
        explanation = provenance.explain(tree, path)
    except provenance.ProvenanceError as e:
        raise provenance.ProvenanceError(f"{source}: {e}") from None
    click.echo(blame.format_explanation(explanation), nl=False)


@main.command("git-setup")
@click.option("--pattern", metavar="GLOB", help="Files to show field by field, a .gitattributes pattern "
              "(default: <golden_dir>/*.txt from [tool.cfgdiff]).")
@click.option("--undo", is_flag=True, help="Remove the diff driver and its .gitattributes lines.")
def git_setup(pattern: str | None, undo: bool) -> None:
    """Make 'git diff' and 'git log -p' show golden files field by field (a textconv driver)."""
    from cfgdiff import gitsetup

    root = gitsetup.repository_root()
    done = gitsetup.undo(root) if undo else gitsetup.setup(root, pattern or gitsetup.default_pattern(root))
    for line in done:
        click.echo(line)
