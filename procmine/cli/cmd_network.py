"""procmine network: the collaboration network between units (hand-overs, working together,
escalation between levels)."""

from __future__ import annotations

import click

from procmine.choices import NETWORK_KINDS
from procmine.cli.options import (
    calendar_option,
    load,
    log_options,
    output_options,
    pop_log_options,
    working_calendar,
)
from procmine.cli.outputs import output_option


@click.command("network")
@log_options
@click.option("--type", "network_kind", type=click.Choice(NETWORK_KINDS),
              default="handover", show_default=True,
              help="handover: A's step directly followed by B's; together: units in the same "
                   "case; escalation: flows between levels.")
@output_option("-o", "--output", kind="drawing",
              help="Draw the network (.svg .png .pdf .dot): units ranked by level, coloured 条/块.")
@click.option("--top", default=60, show_default=True, type=click.IntRange(1),
              help="Edges to draw (by count) and to print.")
@click.option("--table", "which", type=click.Choice(["units", "edges"]), default="units",
              show_default=True, help="The table --csv writes.")
@click.option("--include-followup", is_flag=True,
              help="Count follow-up steps (回访 call-backs, 督办, 催办) as hand-overs and "
                   "escalation moves (by default they are left out).")
@calendar_option("Calendar of hand-over times")
@output_options()
def command(log, network_kind, output, top, which, include_followup, calendar, as_json, as_csv,
            **kwargs) -> None:
    """The collaboration network of the units in LOG.

    Units are nodes (条 line / 块 block, by level); edges count hand-overs (or
    shared cases) with the median hand-over time in working time. Per unit and
    for the whole network: cases, hand-overs in and out, the share crossing
    条/块 and levels, time lost at a crossing, degree, betweenness, density.
    (--kind names the column of 条/块, as in every command.) Definitions:
    docs/network.md.

    \b
    Examples:
      procmine network logs/sample.csv -o net.svg
      procmine network logs/sample.csv --type together --csv > together.csv
      procmine network logs/sample.csv --type escalation --json
    """
    from procmine.i18n import message
    from procmine.network import discover_network
    from procmine.output import csv_text, dumps
    from procmine.render import render_network, write_graph

    event_log = load(log, pop_log_options(kwargs), quiet=as_json or as_csv)
    # a log without times has no hand-over times: no calendar to say
    with working_calendar(calendar, event_log, quiet=event_log.report.time_from_order) as cal:
        net = discover_network(event_log, kind=network_kind, calendar=cal,
                               include_followup=include_followup)
    if output:
        write_graph(render_network(net, top=top), output, inputs=[log])
        click.echo(message("wrote", path=output), err=True)
    if as_json:
        click.echo(dumps(net))
    elif as_csv:
        click.echo(csv_text(net.nodes if which == "units" else net.edges), nl=False)
    else:
        click.echo(_text(net, top, cal.day_seconds))


def _text(net, top: int, day_seconds: float) -> str:
    from procmine.i18n import message, say
    from procmine.output import format_pairs, format_table
    from procmine.output import human_duration as plain

    def human_duration(v) -> str:  # in the result's basis: working days are the calendar's
        return plain(v, basis=net.time_basis, day_seconds=day_seconds)

    def show(value, key: str):
        if value is None or value != value:
            return "–"
        if key.endswith("_s"):
            return human_duration(value)
        if key.endswith("share") or key in ("density", "reciprocity"):
            return f"{100 * value:.1f}%"
        return f"{value:,.3g}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else value

    parts = [message("network." + net.kind, basis=message("basis." + net.time_basis)),
             format_pairs((k, show(v, k)) for k, v in net.measures.items()), ""]
    nodes = net.nodes.copy()
    for col in [c for c in nodes.columns if c.endswith("_s")]:
        nodes[col] = [show(v, col) for v in nodes[col]]
    nodes["betweenness"] = [f"{v:.3f}" for v in nodes["betweenness"]]
    parts.append(format_table(nodes, title=message("network.per_level" if net.kind == "escalation"
                                                   else "network.per_unit")))
    edges = net.edges.head(top).copy()
    for col in ("median_s", "mean_s", "p90_s"):
        edges[col] = [show(v, col) for v in edges[col]]
    if net.kind == "together":
        edges = edges.drop(columns=["cases", "median_s", "mean_s", "p90_s"])
    if net.kind == "escalation":
        edges = edges.drop(columns=["cross_kind", "cross_level"])
    title = message("network.edges", n=len(edges), total=len(net.edges))
    parts += ["", format_table(edges, title=title)]
    if len(net.by_kind):
        by_kind = net.by_kind.assign(share=[show(v, "share") for v in net.by_kind["share"]],
                                     median_s=[show(v, "_s") for v in net.by_kind["median_s"]])
        parts += ["", format_table(by_kind, title=message("network.by_kind"))]
    parts += [message("note", note=say(note)) for note in net.notes]
    return "\n".join(parts)
