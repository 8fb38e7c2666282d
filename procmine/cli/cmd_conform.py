"""procmine conform: how far the log follows the intended workflow, and where it deviates."""

from __future__ import annotations

import click

from procmine.choices import CONFORM_METHODS
from procmine.cli.options import (
    engine_options,
    log_options,
    open_input,
    output_options,
    pop_log_options,
    progress_line,
)
from procmine.cli.outputs import output_option


@click.command("conform")
@log_options
@click.option("--workflow", required=True, type=click.Path(dir_okay=False),
              help="The intended workflow: a YAML spec, a BPMN 2.0 or a PNML file.")
@click.option("--method", type=click.Choice(CONFORM_METHODS), default="alignments",
              show_default=True, help="Optimal alignments, or token-based replay (coarser, faster).")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1),
              help="How many deviations to list.")
@output_option("--cases", "cases_path", kind="table",
              help="Write one row per case (fitness, deviations, trail, units, category, source, "
                   "start, end, duration) to this .csv (with a BOM, for Excel) or .xlsx "
                   "(with a second sheet of the deviations).")
@output_option("--deviations", "deviations_path", kind="table",
              help="Write one row per kind of deviation (cases, share, units, an example case) "
                   "to this .csv or .xlsx.")
@output_option("--variants", "variants_path", kind="table",
              help="Write one row per variant to this .csv or .xlsx.")
@output_option("--diagram", kind="drawing",
              help="Draw the workflow with the deviations over it (.svg .png .pdf .dot).")
@click.option("--no-precision", is_flag=True, help="Skip precision (it replays every prefix).")
@click.option("--jobs", type=click.IntRange(1), help="Processes to use (default: every core).")
@click.option("--time-budget", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds per variant when the model is too large for the fast aligner.")
@engine_options
@output_options()
def command(log, workflow, method, top, cases_path, deviations_path, variants_path, diagram, no_precision, jobs,
            time_budget, engine, memory_limit, as_json, as_csv, **kwargs) -> None:
    """Check LOG against the intended workflow: fitness, precision, deviations.

    Prints the log fitness and precision (the numbers pm4py gives for the same
    net), the share of cases that follow the workflow exactly, and the top
    deviations in plain words with the units where they happen most. Every
    number is defined in docs/conform.md.

    \b
    Examples:
      procmine conform logs/sample.csv --workflow logs/workflow.yaml
      procmine conform logs/sample.csv --workflow model.bpmn --method tokens
      procmine conform logs/sample.csv --workflow logs/workflow.yaml --cases cases.csv --diagram dev.svg
      procmine conform logs/sample.csv --workflow logs/workflow.yaml --cases audit.xlsx
      procmine conform city-2025.parquet --workflow logs/workflow.yaml --engine duckdb
    """
    from procmine.conform import check_conformance
    from procmine.conform.audit_files import write_audit_file
    from procmine.i18n import language, message, say
    from procmine.output import csv_text, dumps, write_table
    from procmine.render import render_conformance, write_graph
    from procmine.workflow import read_workflow

    spec = read_workflow(workflow)
    with open_input(log, pop_log_options(kwargs), engine=engine, memory_limit=memory_limit,
                    quiet=as_json or as_csv) as source:
        progress_line(message("progress.conformance", method=method))
        result = check_conformance(source, spec, method=method, precision=not no_precision,
                                   jobs=jobs, time_budget=time_budget)
    for note in result.notes:
        click.echo(message("note", note=say(note)), err=True)
    if cases_path:
        write_audit_file(result, cases_path, table="cases", inputs=(log,), lang=language())
        click.echo(message("conform.wrote_cases", n=len(result.cases_table), path=cases_path), err=True)
    if deviations_path:
        write_audit_file(result, deviations_path, table="deviations", inputs=(log,),
                         lang=language())
        click.echo(message("conform.wrote_deviations", n=len(result.deviations), path=deviations_path),
                   err=True)
    if variants_path:
        write_table({"variants": result.variants}, variants_path, inputs=[log])
        click.echo(message("conform.wrote_variants", n=len(result.variants), path=variants_path), err=True)
    if diagram:
        write_graph(render_conformance(result, spec), diagram, inputs=[log])
        click.echo(message("wrote", path=diagram), err=True)
    if as_json:
        click.echo(dumps(result))
    elif as_csv:
        click.echo(csv_text(_rows(result, top=None)), nl=False)
    else:
        click.echo(_text(result, top))


def _rows(result, top: int | None) -> list[dict]:
    return [{"deviation": d.label if top is not None else d.text, "kind": d.kind,
             "step": d.step, "cases": d.cases, "share": round(d.share, 4),
             "units": ", ".join(f"{u} {n}" for u, n in d.units), "example": d.example or ""}
            for d in result.deviations[:top]]


def _text(result, top: int) -> str:
    from procmine.conform.wording import deviation_text
    from procmine.i18n import language, message
    from procmine.output import format_pairs, format_table

    s = result.summary()
    pairs = [
        ("workflow", s["workflow"]),
        ("method", s["method"]),
        ("cases", s["cases"]),
        ("variants", s["variants"]),
        ("fitness", f"{s['fitness']:.4f}"),
        ("precision", "–" if s["precision"] is None else f"{s['precision']:.4f}"),
        ("fitting cases", f"{s['fitting_cases']:,} ({s['fitting_cases'] / s['cases']:.1%})"),
        ("conforming cases", f"{s['conforming_cases']:,} ({s['conforming_share']:.1%})"),
    ]
    out = [format_pairs(pairs)]
    if result.deviations:
        rows = [{"deviation": deviation_text(d, language()), "cases": r["cases"], "share": f"{r['share']:.1%}",
                 "units where most": r["units"], "example": r["example"]}
                for d, r in zip(result.deviations, _rows(result, top), strict=False)]
        out.append("")
        out.append(format_table(rows, title=message("conform.top", kinds=len(result.deviations))))
        if len(result.deviations) > top:
            out.append(message("conform.more", n=len(result.deviations) - top))
    else:
        out.append("\n" + message("conform.none"))
    return "\n".join(out)
