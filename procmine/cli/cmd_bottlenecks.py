"""procmine bottlenecks: where orders wait, at which units and levels, which deadlines slip."""

from __future__ import annotations

import click

from procmine.choices import BOTTLENECK_BY
from procmine.cli.options import (
    calendar_option,
    engine_options,
    log_options,
    open_input,
    output_options,
    pop_log_options,
    working_calendar,
)

_SHOWN = 20  # rows of the readable table when --top is not given


@click.command("bottlenecks")
@log_options
@click.option("--by", type=click.Choice(BOTTLENECK_BY), default="transition", show_default=True,
              help="Group waiting time by transition (a -> b), activity, unit, level, category "
                   "or month.")
@click.option("--top", type=click.IntRange(1), default=None,
              help=f"Keep the first N rows (default: all; the readable table shows {_SHOWN}).")
@click.option("--working-time/--clock-time", default=True, show_default=True,
              help="Measure in working time of --calendar, or in clock time.")
@calendar_option("Working calendar")
@click.option("--workflow", type=click.Path(exists=True, dir_okay=False),
              help="Workflow spec whose deadlines replace the deadline column.")
@click.option("--include-followup", is_flag=True,
              help="Count the waits before follow-up steps (回访 call-backs, 督办, 催办) in the "
                   "units' and levels' waits (by default they are left out).")
@engine_options
@output_options()
def command(log: str, by: str, top: int | None, working_time: bool, calendar: str,
            workflow: str | None, include_followup: bool, engine: str, memory_limit: str | None,
            as_json: bool, as_csv: bool, **kwargs) -> None:
    """Waiting and service times, work in progress and deadlines of LOG.

    Ranks where waiting time goes (the first row is where most goes), measured
    in working time unless --clock-time; says which calendar was used.

    \b
    Examples:
      procmine bottlenecks logs/sample.csv
      procmine bottlenecks logs/sample.csv --by unit --top 10
      procmine bottlenecks logs/sample.csv --workflow logs/workflow.yaml --json
      procmine bottlenecks export.csv --clock-time --csv > waits.csv
      procmine bottlenecks city-2025.parquet --engine duckdb --memory-limit 4GiB
    """
    from procmine.bottlenecks import find_bottlenecks
    from procmine.output import csv_text, dumps

    spec = None
    if workflow:  # a bad spec fails before a long read of the log
        from procmine.workflow import read_workflow

        spec = read_workflow(workflow)
    quiet = as_json or as_csv
    with open_input(log, pop_log_options(kwargs), engine=engine, memory_limit=memory_limit,
                    quiet=quiet) as source, working_calendar(calendar, source) as cal:
        result = find_bottlenecks(source, by=by, working_time=working_time,
                                  calendar=cal, workflow=spec, top=top,
                                  include_followup=include_followup)
    if as_json:
        click.echo(dumps(result))
    elif as_csv:
        from procmine.i18n import message, say

        click.echo(message("bottlenecks.csv", basis=message("basis." + result.time_basis),
                           calendar=say(result.calendar)), err=True)
        click.echo(csv_text(result.table), nl=False)
    else:
        click.echo(_text(result, top, cal.day_seconds))


_DURATION = ("mean", "median", "p90", "total", "case_median", "overdue")


def _readable(table, n: int, duration):
    shown = table.head(n).copy()
    for column in shown.columns:
        name = str(column)
        if name in _DURATION or name.startswith(("wait_", "service_", "overdue_")) and \
                not name.endswith(("share", "cases")):
            shown[column] = [duration(v) for v in shown[column]]
        elif name.endswith(("share", "rate")):
            shown[column] = ["" if v != v else f"{100 * v:.1f}%" for v in shown[column]]
        elif name == "wip_mean":
            shown[column] = [f"{v:.2f}" for v in shown[column]]
    return shown


def _text(result, top: int | None, day_seconds: float) -> str:
    from procmine.i18n import message, say
    from procmine.output import format_table, human_duration

    n = top or _SHOWN
    working = result.time_basis == "working"

    def _duration(seconds) -> str:
        # working days of the calendar's day length, never 24-hour days of working time
        return human_duration(seconds, basis=result.time_basis, day_seconds=day_seconds)

    title = message("bottlenecks.title", by=message("by." + result.by),
                    basis=message("basis." + ("working" if working else "clock")),
                    total=_duration(result.total_wait), calendar=say(result.calendar))
    parts = [format_table(_readable(result.table, n, _duration), title=say(title))]
    if len(result.table) > n:
        parts.append(message("more_rows", n=len(result.table) - n))
    dl = result.deadlines
    if dl is not None:
        s = dl.summary()
        parts += ["", say(message("bottlenecks.deadlines", source=say(s["source"]), cases=s["cases"],
                                  overdue=s["overdue"], rate=100 * s["on_time_rate"],
                                  median=_duration(s["overdue_median"]),
                                  total=_duration(s["overdue_total"])))]
        if len(dl.by_transition):
            parts += ["", format_table(_readable(dl.by_transition, 5, _duration),
                                       title=message("bottlenecks.overdue"))]
    parts += [message("note", note=say(note)) for note in result.notes]
    return "\n".join(parts)
