"""procmine compare: two periods of one log, or two logs, with tests of every change."""

from __future__ import annotations

import click

from procmine.cli.options import (
    calendar_option,
    load,
    log_options,
    output_options,
    pop_log_options,
    working_calendar,
)
from procmine.cli.outputs import output_option


@click.command("compare")
@log_options
@click.argument("other", required=False, type=click.Path(dir_okay=False))
@click.option("--split", metavar="DATE", help="Compare the cases that started before DATE with "
              "those from DATE on (e.g. the platform's launch).")
@click.option("--labels", metavar="A,B", help="Names of the two sides (default: before/from DATE, "
              "or the file names).")
@click.option("--workflow", type=click.Path(exists=True, dir_okay=False),
              help="Workflow spec: adds fitness and conforming cases, and deadlines per category.")
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0, 1, min_open=True,
              max_open=True), help="Significance level after Holm's correction.")
@output_option("-o", "--output", kind="drawing", help="Draw the difference map (.svg .png .pdf .dot).")
@click.option("--top", default=50, show_default=True, type=click.IntRange(1),
              help="Edges to draw on the difference map.")
@calendar_option("Calendar of cycle and waiting times")
@output_options()
def command(log, other, split, labels, workflow, alpha, output, top, calendar, as_json, as_csv,
            **kwargs) -> None:
    """Compare LOG before and after --split DATE, or LOG with OTHER.

    For each side: cases, median and p90 cycle time (working time), on-time
    rate, fitness (--workflow), the rate of each governance pattern, the share
    of hand-overs crossing 条/块 and levels, variants; then the change with a
    test (Mann-Whitney, two-proportion or Fisher), sample sizes and a Holm-
    corrected p-value; per unit, the time orders spend with it. Definitions:
    docs/compare.md.

    \b
    Examples:
      procmine compare logs/sample.csv --split 2024-01-25 -o diff.svg
      procmine compare street_a.csv street_b.csv --labels 甲街道,乙街道 --json
    """
    from pathlib import Path

    from procmine.compare import compare_logs
    from procmine.i18n import message
    from procmine.output import csv_text, dumps
    from procmine.render import render_difference, write_graph

    if (other is None) == (split is None):
        raise click.UsageError(message("compare.usage"))
    names = tuple(x.strip() for x in labels.split(",")) if labels else None
    if names is not None and len(names) != 2:
        raise click.BadParameter(message("compare.labels", labels=repr(labels)), param_hint="--labels")
    options = pop_log_options(kwargs)
    first = load(log, options, quiet=as_json or as_csv)
    second = load(other, options, quiet=as_json or as_csv) if other else None
    if names is None and other and log != other:    # one log twice: A and B
        names = (Path(log).stem, Path(other).stem) if Path(log).stem != Path(other).stem else (log, other)
    with working_calendar(calendar, first) as cal:
        result = compare_logs(first, second, split=split, labels=names, calendar=cal,
                              workflow=workflow, alpha=alpha)
    if output:
        write_graph(render_difference(result, top=top), output, inputs=[log] + ([other] if other else []))
        click.echo(message("wrote", path=output), err=True)
    if as_json:
        click.echo(dumps(result))
    elif as_csv:
        click.echo(csv_text(result.indicators), nl=False)
    else:
        click.echo(_text(result, cal.day_seconds))


def _text(result, day_seconds: float) -> str:
    from procmine.i18n import message, say
    from procmine.output import format_table
    from procmine.output import human_duration as plain

    def human_duration(v) -> str:  # in the result's basis: working days are the calendar's
        return say(plain(v, basis=result.time_basis, day_seconds=day_seconds))

    def value(v, key: str) -> str:
        if v is None or v != v:
            return "–"
        if key.endswith("_s"):
            return human_duration(v)
        if key in ("cases", "variants"):
            return f"{int(v):,}"
        if key == "fitness":
            return f"{v:.3f}"
        return f"{100 * v:.1f}%"

    def change(row) -> str:
        if row.change is None or row.change != row.change:
            return "–"
        key = row.indicator
        if key.endswith("_s"):
            sign = "+" if row.change >= 0 else "-"
            text = sign + human_duration(abs(row.change))
        elif key in ("cases", "variants"):
            text = f"{int(row.change):+,}"
        elif key == "fitness":
            text = f"{row.change:+.3f}"
        else:
            text = message("compare.points", change=100 * row.change)
        return text

    def p(v) -> str:
        return "" if v is None or v != v else "<0.0001" if v < 1e-4 else f"{v:.4f}"

    a, b = (say(label) for label in result.labels)
    rows = [{"indicator": _indicator(r), a: value(r.a, r.indicator), b: value(r.b, r.indicator),
             "change": change(r), "n": "" if r.n_a is None or r.n_a != r.n_a else
             f"{int(r.n_a):,} / {int(r.n_b):,}", "test": r.test, "p": p(r.p_value),
             "p (Holm)": p(r.p_adjusted),
             "significant": "" if r.significant is None else message(
                 "compare.yes" if r.significant else "compare.no")}
            for r in result.indicators.itertuples(index=False)]
    parts = [format_table(rows, title=message("compare.title", a=a, b=b, cases_a=result.cases[0],
                                              cases_b=result.cases[1], alpha=result.alpha,
                                              basis=message("basis." + result.time_basis)))]
    parts += ["", _units_text(result, human_duration, p, (a, b))]
    edges = result.edges
    moved = edges[edges["significant_share"] | edges["significant_wait"]]
    parts.append(message("compare.map", moved=len(moved), edges=len(edges)))
    parts += [message("note", note=say(note)) for note in result.notes]
    return "\n".join(parts)


def _indicator(row) -> str:
    """An indicator's name in the output language (the library's label in English)."""
    from procmine.i18n import language, message

    if language() != "zh":
        return row.label
    return message("compare." + row.indicator.replace("pattern:", ""))


def _units_text(result, human_duration, p, labels: tuple[str, str]) -> str:
    """The units whose time per order changed significantly, as a table (or one line)."""
    from procmine.i18n import message
    from procmine.output import format_table

    a, b = labels
    units = result.units
    tested = units[units["test"] != ""]
    changed = units[units["significant"].fillna(False).astype(bool)]
    if not len(changed):
        return message("compare.no_unit", tested=len(tested))
    median = message("compare.median")
    table = [{"unit": r.unit, "cases": f"{r.cases_a:,} / {r.cases_b:,}",
              f"{median} {a}": human_duration(r.median_a), f"{median} {b}": human_duration(r.median_b),
              "geometric change": f"{100 * r.effect:+.0f}%" if r.effect == r.effect else "",
              "weeks": f"{int(r.weeks_a)} / {int(r.weeks_b)}", "p (Holm)": p(r.p_adjusted)}
             for r in changed.itertuples(index=False)]
    return format_table(table, title=message("compare.units", changed=len(changed), tested=len(tested)))
