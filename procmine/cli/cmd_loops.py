"""procmine loops: escalation round trips, ping-pong, dumping down, rework, reopen, deadline
hugging, desk checks and the supervision gap."""

from __future__ import annotations

import click

from procmine.choices import LOOP_BY
from procmine.cli.options import (
    calendar_option,
    engine_options,
    log_options,
    open_input,
    output_options,
    pop_log_options,
    working_calendar,
)
from procmine.cli.outputs import output_option
from procmine.vocabulary import LOOP_PATTERNS

_PATTERNS = ("all", *LOOP_PATTERNS)


@click.command("loops")
@log_options
@click.option("--pattern", "patterns", type=click.Choice(_PATTERNS), multiple=True,
              default=("all",), show_default=True, help="Pattern to find; repeat for several.")
@click.option("--by", type=click.Choice(LOOP_BY), help="Also count each pattern by unit, level, "
              "category, month or source.")
@output_option("--cases", "cases_path", kind="table",
              help="Write every flagged case with its evidence (the events) to this .csv or .xlsx.")
@output_option("--diagram", kind="drawing",
              help="Draw the level x level flows and the ping-pong units (.svg .png .pdf .dot).")
@calendar_option("Calendar of time costs and the deadline window")
@click.option("--alias", "aliases", multiple=True, metavar="NAME=ROLE",
              help="Read activity NAME as ROLE (escalate, return, handle ...); repeatable.")
@click.option("--workflow", type=click.Path(exists=True, dir_okay=False),
              help="Workflow spec whose activity aliases name the roles.")
@click.option("--desk-minutes", type=float, default=10.0, show_default=True,
              help="A check this soon after the feedback counts as a desk check.")
@click.option("--extension-hours", type=float, default=4.0, show_default=True,
              help="An extension filed within these working hours of the deadline counts as late.")
@engine_options
@output_options()
def command(log, patterns, by, cases_path, diagram, calendar, aliases, workflow, desk_minutes,
            extension_hours, engine, memory_limit, as_json, as_csv, **kwargs) -> None:
    """Governance patterns of LOG, per case, summarised per pattern.

    Escalation round trips (向上负责), ping-pong between units (推诿), dumping
    down from 条 to 块 (漏斗效应), rework, close-then-reopen, deadline hugging
    (考核), desk checks (数字悬浮) and the supervision gap. Patterns that need
    columns the log lacks are skipped with a note. Definitions: docs/loops.md.

    \b
    Examples:
      procmine loops logs/sample.csv
      procmine loops logs/sample.csv --pattern escalation --by level --diagram flows.svg
      procmine loops logs/sample.csv --cases flagged.csv --json
      procmine loops city-2025.parquet --engine duckdb --memory-limit 4GiB --json
    """
    from procmine.i18n import message
    from procmine.loops import find_loops
    from procmine.output import csv_text, dumps, write_table
    from procmine.render import render_loops, write_graph

    roles = _aliases(aliases, workflow)   # a bad alias or spec fails before a long read
    quiet = as_json or as_csv
    with open_input(log, pop_log_options(kwargs), engine=engine, memory_limit=memory_limit,
                    quiet=quiet) as source, working_calendar(calendar, source) as cal:
        result = find_loops(source, patterns=patterns, by=by, calendar=cal, aliases=roles,
                            desk_minutes=desk_minutes, extension_hours=extension_hours)
        if cases_path:   # from an engine, the evidence is read from it: while it is open
            write_table({"cases": result.evidence}, cases_path, inputs=[log])
            click.echo(message("loops.wrote", n=len(result.evidence), path=cases_path), err=True)
    if diagram:
        write_graph(render_loops(result), diagram, inputs=[log])
        click.echo(message("wrote", path=diagram), err=True)
    if as_json:
        click.echo(dumps(result))
    elif as_csv:
        click.echo(csv_text(result.by if by else result.summary), nl=False)
    else:
        click.echo(_text(result, cal))


def _aliases(pairs: tuple[str, ...], workflow: str | None) -> dict[str, str] | None:
    table: dict[str, str] = {}
    if workflow:
        try:
            from procmine.workflow import read_workflow
        except ImportError:
            from procmine.errors import DependencyError

            raise DependencyError("--workflow: this procmine has no workflow module yet",
                                  hint="name the roles with --alias NAME=ROLE") from None
        table.update(getattr(read_workflow(workflow), "aliases", None) or {})
    for pair in pairs:
        name, sep, role = pair.partition("=")
        if not sep or not name.strip() or not role.strip():
            from procmine.i18n import message

            raise click.BadParameter(message("loops.alias", pair=repr(pair)), param_hint="--alias")
        table[name.strip()] = role.strip()
    from procmine.vocabulary import check_roles

    check_roles(table)
    return table or None


def _text(result, cal) -> str:
    from procmine.i18n import message, pattern_name, say
    from procmine.output import format_table, human_duration

    basis = "clock" if cal.kind == "none" else "working"

    def working(v) -> str:  # working days of the calendar's day length, or working hours
        return human_duration(v, basis=basis, day_seconds=cal.day_seconds)

    def pct(v) -> str:
        return "" if v is None or v != v else f"{100 * v:.1f}%"

    summary = result.summary.copy()
    summary["share"] = [pct(v) for v in summary["share"]]
    for col in ("cost_s", "cost_work_s", "mean_cost_s"):
        show = working if col == "cost_work_s" else human_duration
        summary[col] = [show(v) if v is not None and v == v else "" for v in summary[col]]
    summary = summary.rename(columns={"cost_s": "time lost", "cost_work_s": "working",
                                      "mean_cost_s": "per case", "top_units": message("loops.units"),
                                      "top_levels": message("loops.levels")})
    parts = [format_table(summary, title=message("loops.title", cases=result.n_cases))]
    if result.by is not None:
        by = result.by[result.by["flagged"] > 0].groupby("pattern", sort=False).head(5).copy()
        by["share"] = [pct(v) for v in by["share"]]
        for col in ("cost_s", "cost_work_s"):
            show = working if col == "cost_work_s" else human_duration
            by[col] = [show(v) if v == v else "" for v in by[col]]
        by = by.rename(columns={"cost_s": "time lost", "cost_work_s": "working"})
        parts += ["", format_table(by, title=message("loops.by", by=message("by." + result.by.columns[1])))]
    details = result.details
    if "pingpong" in details:
        d = details["pingpong"]
        by_units = ", ".join(message("loops.units_n", units=k, cases=v)
                             for k, v in d["cases_by_units_before_sign"].items())
        parts += ["", say(message("loops.pingpong", by_units=by_units,
                                  median=d["median_units_before_sign"] or 0,
                                  dwell=human_duration(d["median_presign_dwell_s"]),
                                  working=working(d["median_presign_dwell_work_s"])))]
    if "hugging" in details:
        d = details["hugging"]
        parts += ["", message("loops.hugging", last=100 * d["last_share"], n=d["in_last_share"],
                              closed=d["closed_in_time"], observed=pct(d["observed_share"]),
                              smooth=pct(d["expected_share_if_smooth"]), overdue=d["overdue"],
                              hours=d["extension_hours"], late=d["late_extensions"])]
    if "supervision" in details:
        table = details["supervision"]["by_category"].copy()
        table = table[["category", "supervised_cases", "supervised_median_s", "ordinary_cases",
                       "ordinary_median_s", "gap_s"]]
        for col in ("supervised_median_s", "ordinary_median_s", "gap_s"):
            table[col] = [human_duration(v) for v in table[col]]
        parts += ["", format_table(table, title=message("loops.supervision"))]
    if "rework" in set(result.summary["pattern"]) and result.rework_by_activity:
        top = sorted(result.rework_by_activity.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        parts += ["", message("loops.rework", names=", ".join(f"{name} ({n:,})" for name, n in top))]
    parts += [message("loops.skipped", name=pattern_name(name), why=say(why))
              for name, why in result.skipped.items()]
    parts += [message("note", note=say(note)) for note in result.notes]
    return "\n".join(parts)
