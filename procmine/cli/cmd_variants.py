"""procmine variants: the distinct paths cases take, most frequent first."""

from __future__ import annotations

import click

from procmine.cli.options import load, log_options, output_options, pop_log_options

_SHOWN = 20  # rows of the readable table when --top is not given


@click.command("variants")
@log_options
@click.option("--top", type=click.IntRange(1), default=None,
              help=f"Keep the N most frequent variants (default: all; the table shows {_SHOWN}).")
@output_options()
def command(log: str, top: int | None, as_json: bool, as_csv: bool, **kwargs) -> None:
    """Each variant of LOG with its cases, share, cumulative share and median duration.

    A variant is one distinct sequence of activities; the duration of a case
    runs from its first to its last event (clock time).

    \b
    Examples:
      procmine variants logs/sample.csv --top 10
      procmine variants logs/sample.csv --csv > variants.csv
    """
    from procmine.discover import variant_summary
    from procmine.output import csv_text, dumps

    event_log = load(log, pop_log_options(kwargs), quiet=as_json or as_csv)
    summary = variant_summary(event_log, top=top)
    if as_json:
        click.echo(dumps(summary))
    elif as_csv:
        click.echo(csv_text(summary.table), nl=False)
    else:
        click.echo(_text(summary, top or _SHOWN))


def _text(summary, n: int) -> str:
    from procmine.output import format_table, human_duration

    shown = summary.table.head(n).copy()
    shown["share"] = [f"{v:.1%}" for v in shown["share"]]
    shown["cumulative"] = [f"{v:.1%}" for v in shown["cumulative"]]
    shown["median_duration"] = [human_duration(v) for v in shown["median_duration"]]
    shown = shown.rename(columns={"median_duration": "median duration"})
    title = f"{summary.variants:,} variants of {summary.cases:,} cases"
    if len(shown) < summary.variants:
        title += f" (the {len(shown)} most frequent shown)"
    return format_table(shown, title=title)
