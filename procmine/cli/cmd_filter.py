"""procmine filter: write the cases and events the filters keep as a new log."""

from __future__ import annotations

import click

from procmine.cli.options import (
    engine_options,
    log_options,
    open_input,
    pop_log_options,
)
from procmine.cli.outputs import output_option


@click.command("filter")
@log_options
@output_option("-o", "--output", required=True, kind="log",
              help="The filtered log to write: .csv, .parquet or .xes.")
@engine_options
def command(log: str, output: str, engine: str, memory_limit: str | None, **kwargs) -> None:
    """Write the part of LOG that the filter options keep to OUTPUT (CSV, Parquet or XES).

    Filters apply in the order of --filters FILE (a filter set), then the options
    as listed below; stderr says how many cases and events each one kept
    (docs/filters.md). The CSV and Parquet keep the log's own column names, so
    the file reads back with the same mapping.

    \b
    Examples:
      procmine filter logs/sample.csv --from 2024-03-01 --to 2024-03-31 -o march.csv
      procmine filter logs/sample.csv --where 类别=占道经营,违章搭建 --top-variants 10 -o top.parquet
      procmine filter logs/sample.csv --follows '派遣>签收' --duration ..30d -o fast.xes
      procmine filter logs/sample.csv --filters audit-2024.yaml -o audited.csv
    """
    from procmine.engines import as_engine
    from procmine.filters import filtered_events
    from procmine.read import write_log

    with open_input(log, pop_log_options(kwargs), engine=engine,
                    memory_limit=memory_limit) as source:
        opened = as_engine(source)
        events = filtered_events(opened)
        mapping = opened.load_report().mapping
        if opened.time_from_order:      # the log had no times: it gets none invented
            events = events.drop(columns=["time:timestamp"])
    cases = int(events["case:concept:name"].nunique()) if len(events) else 0
    if not output.lower().endswith((".xes", ".xes.gz")):
        # the analyst's own headers, so the file reads back with the same mapping
        events = events.rename(columns=mapping)
    notes = write_log(events, output, inputs=[log])
    from procmine.i18n import message, say

    for note in notes:
        click.echo(message("note", note=say(note)), err=True)

    click.echo(message("wrote_events_cases", events=len(events), cases=cases, path=output), err=True)
