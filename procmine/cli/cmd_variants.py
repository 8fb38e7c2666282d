"""procmine variants: the distinct paths cases take, most frequent first."""

from __future__ import annotations

import click

from procmine.cli.options import (
    engine_options,
    log_options,
    open_input,
    output_options,
    pop_log_options,
)

_SHOWN = 20  # rows of the readable table when --top is not given


@click.command("variants")
@log_options
@click.option("--top", type=click.IntRange(1), default=None,
              help=f"Keep the N most frequent variants (default: all; the table shows {_SHOWN}).")
@engine_options
@output_options()
def command(log: str, top: int | None, engine: str, memory_limit: str | None, as_json: bool,
            as_csv: bool, **kwargs) -> None:
    """Each variant of LOG with its cases, share, cumulative share and median duration.

    A variant is one distinct sequence of activities; the duration of a case
    runs from its first to its last event (clock time).

    \b
    Examples:
      procmine variants logs/sample.csv --top 10
      procmine variants logs/sample.csv --csv > variants.csv
      procmine variants city-2025.parquet --engine duckdb --top 20
    """
    from procmine.discover import variant_summary
    from procmine.output import csv_text, dumps

    with open_input(log, pop_log_options(kwargs), engine=engine, memory_limit=memory_limit,
                    quiet=as_json or as_csv, needs=()) as source:
        summary = variant_summary(source, top=top)
    if as_json:
        click.echo(dumps(summary))
    elif as_csv:
        click.echo(csv_text(summary.table), nl=False)
    else:
        click.echo(_text(summary, top or _SHOWN))


def _text(summary, n: int) -> str:
    from procmine.i18n import message
    from procmine.output import format_table, human_duration

    shown = summary.table.head(n).copy()
    shown["share"] = [f"{v:.1%}" for v in shown["share"]]
    shown["cumulative"] = [f"{v:.1%}" for v in shown["cumulative"]]
    shown["median_duration"] = [human_duration(v) for v in shown["median_duration"]]
    # "activities" is a count elsewhere (环节数); here the sequence itself (环节序列)
    shown = shown.rename(columns={"median_duration": "median duration",
                                  "activities": message("variants.sequence")})
    title = message("variants.title", variants=summary.variants, cases=summary.cases)
    if len(shown) < summary.variants:
        title += message("variants.shown", n=len(shown))
    return format_table(shown, title=title)
