"""procmine simulate: a realistic dispatch log with its ground truth."""

from __future__ import annotations

import click

from procmine.choices import LANGS
from procmine.cli.options import calendar_option, output_options
from procmine.cli.outputs import output_option


def _truth(path: str) -> list[str]:
    """The truth file written beside the log (``<name>.truth.csv``)."""
    from procmine.simulate import truth_path

    return [str(truth_path(path))]


@click.command("simulate")
@click.option("--cases", required=True, type=click.IntRange(1), help="Number of work orders.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0),
              help="Random seed: the same seed gives the same file, byte for byte.")
@output_option("-o", "--output", required=True, kind="simulated log", also=_truth,
              help="Log file to write: .csv, .parquet or .xes (the truth goes beside it "
                   "as <name>.truth.csv).")
@click.option("--start", default="2024-01-01", show_default=True,
              help="Day of the first reports (YYYY-MM-DD).")
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True,
              help="Language of the headers, steps, units and categories.")
@click.option("--rates", "rates_file", type=click.Path(dir_okay=False, exists=True),
              help="YAML/JSON file of pattern rates, e.g. 'escalation: 0.1'.")
@click.option("--per-day", default=60.0, show_default=True, type=click.FloatRange(min=0.01),
              help="Cases reported per day: sets the time span of the log.")
@calendar_option("Calendar of office hours and deadlines", default="cn")
@click.option("--reform-date", metavar="DATE",
              help="Cases reported on or after this date follow --reform-rates.")
@click.option("--reform-rates", "reform_file", type=click.Path(dir_okay=False, exists=True),
              help="YAML/JSON file of the reform: 'rates:' that change and per-unit "
                   "'service:' time factors, e.g. 'service: {housing: 0.5}'.")
@output_option("--responsibility", kind="yaml",
              help="Also write the simulated street's responsibility list (权责清单) as YAML, "
                   "for procmine audit.")
@output_options(table=False)
def command(cases: int, seed: int, output: str, start: str, lang: str, rates_file: str | None,
            per_day: float, calendar: str, reform_date: str | None, reform_file: str | None,
            responsibility: str | None, as_json: bool) -> None:
    """Write a simulated dispatch log of a street operations centre, and its truth.

    Reports from grid patrols, 12345, video AI and others are registered,
    dispatched to line (条) and territorial (块) units, handled, checked and
    closed, in office hours of the working calendar, with queues at the units.
    Escalation round trips, ping-pong, dumping down, rework, reopening, deadline
    hugging and desk checks are injected at the rates of --rates; the housing
    office (房管办) is a bottleneck. See docs/simulate.md for the definitions.

    \b
    Examples:
      procmine simulate --cases 3000 --seed 42 -o logs/sample.csv \\
          --responsibility logs/responsibility.yaml
      procmine simulate --cases 70000 --seed 1 -o big.parquet --lang en
      procmine simulate --cases 500 --seed 7 -o small.csv --rates rates.yaml --json
      procmine simulate --cases 12000 --seed 1 -o reform.csv --start 2024-03-01 \\
          --reform-date 2024-06-03 --reform-rates reform.yaml
    """
    import warnings

    from procmine.i18n import message, say
    from procmine.output import dumps, format_table
    from procmine.simulate import read_rates, read_reform, simulate_log, write_simulation

    if reform_date and not reform_file:
        raise click.UsageError(message("simulate.reform_usage"))
    rates = read_rates(rates_file) if rates_file else None
    reform = read_reform(reform_file, date=reform_date) if reform_file else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # calendar fallbacks come back as notes
        result = simulate_log(cases=cases, seed=seed, start=start, lang=lang, rates=rates,  # type: ignore[arg-type]
                              cases_per_day=per_day, calendar=calendar, reform=reform)
        log_path, truth_path = write_simulation(result, output)
    if responsibility:
        from procmine.simulate import write_responsibility

        write_responsibility(responsibility, lang)
        click.echo(message("simulate.wrote_list", path=responsibility), err=True)
    click.echo(message("simulate.wrote", events=result.n_events, cases=result.n_cases, path=log_path,
                       truth=truth_path), err=True)
    for note in result.notes:
        click.echo(message("note", note=say(note)), err=True)
    summary = result.to_dict()
    if as_json:
        click.echo(dumps(summary | {"log": str(log_path), "truth": str(truth_path)}))
        return
    rows = [{"pattern": p, "rate": result.rates[p], "cases": n, "share": round(n / result.n_cases, 4)}
            for p, n in summary["flagged"].items() if p != "bottleneck"]
    rows.append({"pattern": message("simulate.bottleneck", unit=result.bottleneck_unit), "rate": None,
                 "cases": summary["flagged"]["bottleneck"],
                 "share": round(summary["flagged"]["bottleneck"] / result.n_cases, 4)})
    click.echo(format_table(rows))
    if reform is not None:
        changes = [f"{k} {result.rates[k]:g} → {v:g}" for k, v in reform.rates.items()]
        changes += [message("simulate.service", unit=k, factor=v) for k, v in reform.service.items()]
        click.echo("\n" + message("simulate.reform", date=reform.date, cases=summary["reform"]["cases_after"],
                                  changes=", ".join(changes)))
    click.echo("\n" + message("simulate.calendar", calendar=say(result.calendar)))
