"""procmine discover: the process model that actually runs, and how well it fits."""

from __future__ import annotations

import click

from procmine.choices import ALGORITHMS, NOTATIONS
from procmine.cli.options import (
    engine_options,
    log_options,
    open_input,
    output_options,
    pop_log_options,
    progress_line,
)
from procmine.cli.outputs import output_option


@click.command("discover")
@log_options
@click.option("--algorithm", type=click.Choice(ALGORITHMS), default="inductive",
              show_default=True, help="Discovery algorithm (pm4py's).")
@click.option("--noise", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Noise threshold of the inductive miner (IMf when above 0), e.g. 0.2.")
@click.option("--dependency", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Dependency threshold of the heuristics miner.")
@output_option("--model", "model_path", kind="model",
              help="Save the model: .pnml, .bpmn or .ptml (process tree, inductive only).")
@output_option("--diagram", kind="drawing", help="Draw the model: .svg, .png, .pdf or .dot.")
@click.option("--notation", type=click.Choice(NOTATIONS), default="petri",
              show_default=True, help="Notation of --diagram.")
@click.option("--alignments", is_flag=True,
              help="Fitness and precision by alignments instead of token replay (slower).")
@click.option("--no-quality", is_flag=True, help="Skip measuring the model's quality.")
@click.option("--top-activities", type=click.IntRange(0), default=None, metavar="N",
              help="Mine on the N most frequent activities (0: all). Default: all, or on a "
                   "log of over 100 activities the 20 most frequent (said on stderr).")
@engine_options
@output_options(table=False)
def command(log: str, algorithm: str, noise: float, dependency: float, model_path: str | None,
            diagram: str | None, notation: str, alignments: bool, no_quality: bool,
            top_activities: int | None, engine: str, memory_limit: str | None, as_json: bool, **kwargs) -> None:
    """Discover a process model from LOG and print its quality.

    Mines the distinct traces (variants) once each, with their counts; fitness,
    precision, generalization and simplicity equal pm4py's on the full log.

    \b
    Examples:
      procmine discover logs/sample.csv
      procmine discover logs/sample.csv --noise 0.2 --diagram model.svg --notation bpmn
      procmine discover logs/sample.csv --algorithm heuristics --model model.pnml --json
      procmine discover city-2025.parquet --engine duckdb --diagram model.svg
    """
    from procmine.discover import discover_model
    from procmine.i18n import cell, message, say
    from procmine.output import dumps, format_pairs

    with open_input(log, pop_log_options(kwargs), engine=engine, memory_limit=memory_limit,
                    quiet=as_json) as source:
        # mined on the variant table, whichever engine computed it
        progress_line(message("progress.discovering", algorithm=algorithm))
        found = discover_model(source, algorithm=algorithm, noise=noise, dependency=dependency,
                               quality=not no_quality, alignments=alignments,
                               activities=top_activities)
    if found.note:
        click.echo(message("note", note=say(found.note)), err=True)
    if model_path:
        _save_model(found.model, model_path, log)
        click.echo(message("discover.wrote_model", path=model_path), err=True)
    if diagram:
        from procmine.render import render_model, write_graph

        note = write_graph(render_model(found.model, notation=notation), diagram, inputs=[log],
                           progress=progress_line)
        if note:
            click.echo(message("note", note=say(note)), err=True)
        click.echo(message("discover.wrote_diagram", notation=cell("notation", notation), path=diagram),
                   err=True)
    if as_json:
        click.echo(dumps(found.to_dict()))
        return
    d = found.to_dict()
    pairs = [("algorithm", cell("algorithm", d["algorithm"])
              + (message("discover.noise", noise=noise) if noise else "")),
             ("cases", d["cases"]), ("variants", d["variants"]),
             ("activities", len(d["activities"])),
             ("transitions", message("discover.transitions", n=d["transitions"], silent=d["silent_transitions"])),
             ("places", d["places"])]
    q = found.quality
    if q is not None:
        pairs += [("quality by", q.method), ("fitness", f"{q.fitness:.4f}"),
                  ("precision", f"{q.precision:.4f}"),
                  ("generalization", f"{q.generalization:.4f}"),
                  ("simplicity", f"{q.simplicity:.4f}"),
                  ("fitting cases", f"{q.fitting_cases:.1%}")]
    click.echo(format_pairs(pairs))


def _save_model(model, model_path: str, log: str) -> None:
    """Save the model; pm4py lays out a BPMN diagram with Graphviz, which fails on some
    names (a trailing backslash, a label over 16,384 characters): say so in one line."""
    import subprocess
    import warnings

    from procmine.discover import save_model
    from procmine.errors import OutputError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            save_model(model, model_path, inputs=[log])
    except subprocess.CalledProcessError:
        raise OutputError(f"cannot write {model_path}: Graphviz could not lay out the BPMN "
                          "diagram (an activity name with a backslash or a very long name "
                          "breaks it)", hint="save the model as .pnml or .ptml instead") from None
