"""procmine map: a Disco-style process map of a log."""

from __future__ import annotations

import click

from procmine.choices import MAP_BY, METRICS
from procmine.cli.options import (
    calendar_option,
    engine_options,
    log_options,
    open_input,
    output_options,
    pop_log_options,
    progress_line,
    working_calendar,
)
from procmine.cli.outputs import output_option


@click.command("map")
@log_options
@output_option("-o", "--output", kind="drawing",
              help="Draw the map: .svg, .png, .pdf or .dot (default: list the paths).")
@click.option("--metric", type=click.Choice(METRICS), default="frequency", show_default=True,
              help="Number on the arrows (waits run from one step's completion to the next's).")
@click.option("--activities", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="Keep the most frequent PCT% of activities (map stays connected). Default: "
                   "all, or on a log of over 50 activities / 100 paths the 50 and 100 most "
                   "frequent (said on stderr and in the legend).")
@click.option("--paths", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="Keep the most frequent PCT% of paths (map stays connected). Default: as "
                   "--activities; --activities 100 --paths 100 draws everything.")
@click.option("--by", type=click.Choice(MAP_BY), default=None,
              help="Colour each activity by its most frequent unit or level.")
@click.option("--title", help="Title in the legend (default: the log's file name).")
@click.option("--working-time/--clock-time", default=False, show_default=True,
              help="Waits in working time of --calendar (as procmine bottlenecks) or clock time.")
@calendar_option("Calendar of --working-time")
@engine_options
@output_options()
def command(log: str, output: str | None, metric: str, activities: float | None,
            paths: float | None,
            by: str | None, title: str | None, working_time: bool, calendar: str,
            engine: str, memory_limit: str | None, as_json: bool, as_csv: bool,
            **kwargs) -> None:
    """Draw the process map of LOG: activities as boxes, directly-follows paths as arrows.

    Arrow width and colour scale with the metric; a legend says what is shown.
    Without -o, lists the paths of the map as a table.

    \b
    Examples:
      procmine map logs/sample.csv -o map.svg
      procmine map logs/sample.csv -o map.png --metric median-wait --paths 30
      procmine map logs/sample.csv -o map.pdf --by level --activities 80
      procmine map logs/sample.csv --metric p90-wait --csv > paths.csv
      procmine map logs/sample.csv --metric p90-wait --working-time   # = procmine bottlenecks
      procmine map city-2025.parquet --engine duckdb --memory-limit 4GiB -o map.svg
    """
    from pathlib import Path

    from procmine.discover import discover_map
    from procmine.i18n import message, say
    from procmine.output import csv_text, dumps

    with open_input(log, pop_log_options(kwargs), engine=engine, memory_limit=memory_limit,
                    quiet=as_json or as_csv, needs=()) as source:
        flows = None
        # the waits procmine bottlenecks ranks: start of a step minus completion of the one
        # before. In clock time on a log without start times they are the waits of the
        # engine's own directly-follows table (discover_map's default): the same numbers,
        # without bottlenecks' per-event arrays.
        if metric.endswith("wait") and (working_time or _has_start_times(source)):
            from procmine.bottlenecks import transition_waits

            if working_time:
                with working_calendar(calendar, source) as cal:
                    flows = transition_waits(source, working_time=True, calendar=cal)
            else:
                flows = transition_waits(source, working_time=False, calendar=calendar)
        pmap = discover_map(source, metric=metric, activities=activities, paths=paths, by=by,
                            flows=flows)
    if pmap.note:
        click.echo(message("note", note=say(pmap.note)), err=True)
    if output:
        from procmine.render import render_map, write_graph

        note = write_graph(render_map(pmap, title=title or Path(log).name), output, inputs=[log],
                           progress=progress_line)
        if note:
            click.echo(message("note", note=say(note)), err=True)
        click.echo(message("map.wrote", path=output, nodes=len(pmap.nodes), activities=pmap.activities_total,
                           shown=pmap.paths_shown, paths=pmap.paths_total), err=True)
    if as_json:
        click.echo(dumps(pmap.to_dict()))
    elif as_csv:
        click.echo(csv_text(pmap.edges), nl=False)
    elif not output:
        click.echo(_text(pmap))


def _has_start_times(source) -> bool:
    from procmine.engines import as_engine
    from procmine.log import START

    return as_engine(source).has(START)


def _text(pmap) -> str:
    from procmine.i18n import header, message, say
    from procmine.output import format_table
    from procmine.render import format_value

    rows = [{"from": r.source, "to": r.target, pmap.metric: say(format_value(r.value, pmap.metric)),
             "count": int(r.count)} for r in pmap.edges.itertuples(index=False)]
    rows.sort(key=lambda r: -r["count"])
    return format_table(rows, title=message("map.title", shown=pmap.paths_shown, nodes=len(pmap.nodes),
                                            metric=header(pmap.metric)))
