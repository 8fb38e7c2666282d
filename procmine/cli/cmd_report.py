"""procmine report: every analysis of a log in one self-contained HTML file."""

from __future__ import annotations

import sys

import click

from procmine.choices import LANGS
from procmine.cli.options import (
    calendar_option,
    choose_for_log,
    engine_options,
    filter_steps,
    log_options,
    open_input,
    pop_log_options,
)
from procmine.cli.outputs import output_option


@click.command("report")
@log_options
@output_option("-o", "--output", required=True, kind="page", help="The HTML file to write.")
@click.option("--workflow", type=click.Path(exists=True, dir_okay=False),
              help="Intended workflow (YAML, BPMN, PNML): adds conformance; its deadlines and "
                   "aliases are used as by conform, bottlenecks and loops.")
@click.option("--lang", type=click.Choice(LANGS),
              help="Language of the report's labels (default: Chinese when the activity names are).")
@click.option("--title", help="Title of the report (default: the log's file name).")
@calendar_option("Calendar of waiting times, deadlines and time lost")
@engine_options
def command(log: str, output: str, workflow: str | None, lang: str | None, title: str | None,
            calendar: str, engine: str, memory_limit: str | None, quiet: bool,
            **kwargs) -> None:
    """Write one self-contained HTML report of LOG: summary, data quality, process map,
    discovered model, conformance (with --workflow), bottlenecks and deadlines, governance
    patterns and variants, each with its figure and table.

    The file needs no network: open it offline, mail it, print it. Each section's
    numbers are those of its own command (info, map, discover, conform, bottlenecks,
    loops, variants) with their default options.

    \b
    Examples:
      procmine report logs/sample.csv --workflow logs/workflow.yaml -o report.html
      procmine report export.xlsx --lang en --title "District 12345, 2024" -o report.html
      procmine report city-2025.parquet --engine duckdb --memory-limit 8GiB -o report.html
    """
    from procmine.engines import as_engine
    from procmine.i18n import message
    from procmine.report import stages, write_report

    spec = None
    if workflow:  # a bad spec fails before a long read of the log
        from procmine.workflow import read_workflow

        spec = read_workflow(workflow)
    with open_input(log, pop_log_options(kwargs), engine=engine, memory_limit=memory_limit,
                    quiet=quiet) as source:
        names = stages(workflow=spec, log=source)
        following = dict(zip(names, [*names[1:], "writing"], strict=True))
        # the report's sections read the calendar themselves and note its fallback years
        choice = choose_for_log(calendar, source, quiet=quiet)
        with click.progressbar(length=len(names), label=message("report.bar"), file=sys.stderr,
                               item_show_func=lambda n: n and _stage_name(n), show_eta=False,
                               hidden=quiet) as bar:
            as_engine(source).progress = None  # the bar shows the stages
            bar.update(0, names[0])     # the bar names the stage that is running
            _name_stage(names[0])
            write_report(source, output, workflow=spec, lang=lang, title=title,
                         calendar=choice.name, inputs=[log], filters=filter_steps(),
                         on_stage=lambda name: _next(bar, following[name]))
    if not quiet:
        click.echo(message("wrote", path=output), err=True)


def _stage_name(stage: str) -> str:
    """A stage of the report (a section, or writing) in the output language."""
    from procmine.i18n import message

    return message("report.stage." + stage)


def _name_stage(stage: str) -> None:
    from procmine.cli.progress import name
    from procmine.i18n import message

    name(message("report.section", stage=_stage_name(stage)))


def _next(bar, stage: str) -> None:
    """Move the bar to the next stage, and name it for the heartbeat of long stages."""
    bar.update(1, stage)
    _name_stage(stage)
