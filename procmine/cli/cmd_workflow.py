"""procmine workflow: check and draw the intended workflow (YAML spec, BPMN or PNML)."""

from __future__ import annotations

import click

from procmine.choices import WORKFLOW_NOTATIONS
from procmine.cli.options import output_options
from procmine.cli.outputs import output_option


@click.group("workflow")
def command() -> None:
    """Check and draw the intended workflow: a YAML spec, a BPMN 2.0 or a PNML file.

    The YAML format (steps, optional and repeatable steps, alternatives,
    parallel steps, extra paths, aliases, deadlines, levels) is described in
    docs/workflow.md; logs/workflow.yaml is a full example.

    \b
    Examples:
      procmine workflow check logs/workflow.yaml
      procmine workflow draw logs/workflow.yaml -o workflow.svg
    """


@command.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@output_options(table=False)
def check(file: str, as_json: bool) -> None:
    """Validate FILE and describe the workflow it defines.

    Errors name the line and the problem (unknown step in a path, bad duration,
    unreachable step or end) and exit with status 2.
    """
    from procmine.output import dumps
    from procmine.workflow import check_workflow

    result = check_workflow(file)
    if as_json:
        click.echo(dumps(result))
        return
    click.echo(_text(result))



def _text(result) -> str:
    from procmine.i18n import message
    from procmine.output import format_pairs

    wf = result.workflow
    pairs = [("workflow", f"{wf.name} ({wf.path}, {wf.format})")]
    if wf.outline:
        pairs.append(("main line", wf.outline))
    pairs.append(("steps", f"{len(wf.steps)}: " + ", ".join(wf.steps)))
    if wf.exceptions:
        pairs.append(("exception steps", ", ".join(wf.exceptions)))
    for i, p in enumerate(wf.paths):
        extra = [message("workflow.back" if p.kind == "back" else "workflow.detour")]
        extra += [message("workflow.repeat")] if p.repeat else []
        extra += [message("workflow.distinct")] if p.distinct_units else []
        pairs.append(("extra paths" if i == 0 else "", f"{p} ({message('list.sep').join(extra)})"))
    spellings = sum(1 for k, v in wf.names.items() if k != v)
    if spellings:
        pairs.append(("aliases", message("workflow.aliases", n=spellings, steps=len(set(wf.names.values())))))
    for i, d in enumerate(wf.deadlines):
        unit = message(("workflow.working_" if d.working else "workflow.") + d.unit.rstrip("s")
                       + ("s" if d.amount != 1 else ""))
        pairs.append(("deadlines" if i == 0 else "", message(
            "workflow.deadline", category=d.category or "*", start=d.start, end=d.end, amount=d.amount,
            unit=unit)))
    if wf.levels:
        pairs.append(("levels", " < ".join(wf.levels)))
    states = (message("workflow.markings", n=result.markings) if result.markings is not None
              else message("workflow.too_many"))
    pairs.append(("Petri net", message("workflow.net", places=result.places, transitions=result.transitions,
                                       silent=result.silent, states=states)))
    verdict = message("workflow.sound" if result.markings is not None else "workflow.valid")
    return format_pairs(pairs) + "\n" + verdict


@command.command("draw")
@click.argument("file", type=click.Path(dir_okay=False))
@output_option("-o", "--output", required=True, kind="drawing",
              help="Drawing to write; the format follows the suffix (.svg .png .pdf .dot).")
@click.option("--notation", type=click.Choice(WORKFLOW_NOTATIONS),
              help="Draw as BPMN (tasks and gateways) or as the Petri net "
                   "(default: BPMN, the Petri net for a PNML file).")
def draw(file: str, output: str, notation: str) -> None:
    """Draw the workflow in FILE to OUTPUT (Chinese labels need a CJK font; one is picked)."""
    from procmine.i18n import message
    from procmine.render import render_workflow, write_graph
    from procmine.workflow import read_workflow

    write_graph(render_workflow(read_workflow(file), notation=notation), output, inputs=[file])
    click.echo(message("wrote", path=output), err=True)
