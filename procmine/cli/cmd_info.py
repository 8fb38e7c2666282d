"""procmine info: what is in a log."""

from __future__ import annotations

import click

from procmine.cli.options import (
    engine_options,
    log_options,
    open_input,
    output_options,
    pop_log_options,
)
from procmine.log import CATEGORY, SOURCE


@click.command("info")
@log_options
@click.option("--top", default=10, show_default=True, type=click.IntRange(1),
              help="How many activities, categories and sources to list.")
@engine_options
@output_options(table=False)
def command(log: str, top: int, engine: str, memory_limit: str | None, as_json: bool,
            **kwargs) -> None:
    """Cases, events, activities, variants, time span, units and levels of LOG.

    Also shows the column mapping used and what was repaired or dropped while
    reading (the load report).

    \b
    Examples:
      procmine info logs/sample.csv
      procmine info export.xlsx --case-id 案卷号 --activity 环节名称 --timestamp 办理时间
      procmine info logs/sample.csv --json
      procmine info city-2025.parquet --engine duckdb --memory-limit 4GiB
    """
    from procmine.output import dumps
    from procmine.summary import summarize_log

    with open_input(log, pop_log_options(kwargs), engine=engine, memory_limit=memory_limit,
                    quiet=as_json, needs=(CATEGORY, SOURCE)) as source:
        summary = summarize_log(source, top=top)
    click.echo(dumps(summary) if as_json else _text(summary))


def _text(s) -> str:
    from procmine.i18n import message, say
    from procmine.output import format_pairs, format_table, source_column

    pairs = [
        ("cases", s.cases),
        ("events", s.events),
        ("activities", s.activities),
        ("variants", s.variants),
        ("first event", s.first),
        ("last event", s.last),
        ("events per case", message("info.per_case", low=s.events_per_case["min"],
                                    median=s.events_per_case["median"], high=s.events_per_case["max"])),
    ]
    if s.units is not None:
        pairs.append(("units", s.units))
    if s.levels:
        pairs.append(("levels", " < ".join(s.levels)))
    parts = [format_pairs(pairs), "", format_table(s.top_activities, title=message("info.activities"))]
    if s.categories:
        parts += ["", format_table(s.categories, title=message("info.categories"))]
    if s.sources:
        parts += ["", format_table(s.sources, title=message("info.sources"))]
    parts += ["", format_pairs([(k, source_column(v)) for k, v in s.mapping.items()]).join(
        [message("info.mapping") + "\n", ""])]
    if s.attributes:
        parts += ["", message("info.attributes", names=", ".join(s.attributes))]
    load = s.load
    parts += ["", format_pairs([("rows read", load["rows_read"]), ("rows kept", load["rows_kept"]),
                                ("rows dropped", load["rows_dropped"])]
                               + [(f"  {say(k)}", v) for k, v in load["dropped"].items()]
                               + [("duplicate events", load["duplicates"])])]
    return "\n".join(parts)
