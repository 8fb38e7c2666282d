"""procmine audit: dispatch against the responsibility list, the two clocks, repeat demands."""

from __future__ import annotations

import click

from procmine.choices import LANGS
from procmine.cli.options import (
    calendar_option,
    engine_options,
    log_options,
    open_input,
    output_options,
    pop_log_options,
    working_calendar,
)
from procmine.vocabulary import AUDIT_SECTIONS as SECTIONS


@click.command("audit")
@log_options
@click.option("--responsibility", type=click.Path(exists=True, dir_okay=False),
              help="The responsibility list (权责清单), YAML or CSV: category -> responsible "
                   "units, kind, level, deadline_hours.")
@click.option("--repeat-days", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="A demand again within this many days after the closure is a repeat.")
@click.option("--section", "sections", type=click.Choice(SECTIONS), multiple=True,
              default=SECTIONS, show_default=True, help="Section to compute; repeatable.")
@click.option("--vocabulary", type=click.Path(exists=True, dir_okay=False),
              help="Source groups (citizen, internal) and kinds of work (field, platform, "
                   "waiting) by name, YAML; default: procmine.vocabulary's.")
@click.option("--citizen", help="Column of the citizen (a hashed phone or ID, 诉求人).")
@click.option("--address", help="Column of the address or grid cell (地址).")
@click.option("--lang", type=click.Choice(LANGS), default=None,
              help="Language of the tables (default: as every command's output: PROCMINE_LANG, "
                   "the locale, then the log's column names).")
@calendar_option("Calendar of the official and the citizen's clocks")
@engine_options
@output_options()
def command(log, responsibility, repeat_days, sections, vocabulary, citizen, address, lang, calendar, engine,
            memory_limit, as_json, as_csv, **kwargs) -> None:
    """What the platform's indicators hide (数字悬浮), from LOG: six sections.

    dispatch: first-dispatch accuracy against the responsibility list and the
    boundary each bounce-back (退单/改派) crosses; clocks: the official clock
    beside the citizen's clock, per unit; repeats: orders closed but demanded
    again by the same citizen, at the same address, about the same category;
    citizens: citizens' orders against internal ones, tested, per unit, street
    and category; burden: platform against field work per unit and level;
    overload: work in progress per unit and the load above which it breaks down.
    Definitions and limits: docs/audit.md.

    \b
    Examples:
      procmine audit logs/sample.csv --responsibility logs/responsibility.yaml
      procmine audit logs/sample.csv --responsibility logs/responsibility.yaml --lang en \\
          --section clocks --json
      procmine audit city.parquet --responsibility list.csv --repeat-days 60 --engine duckdb
      procmine audit logs/sample.csv --section citizens --section overload --vocabulary words.yaml
    """
    from procmine.audit import HELD_PER_CASE, audit_log
    from procmine.audit.text import format_audit
    from procmine.engines import Engine
    from procmine.output import csv_text, dumps

    options = pop_log_options(kwargs) | {"citizen": citizen, "address": address}
    with open_input(log, options, engine=engine, memory_limit=memory_limit,
                    quiet=as_json or as_csv) as source, working_calendar(calendar, source) as cal:
        if isinstance(source, Engine) and source.memory_limit:   # the audit's tables count
            source.hold_outside(HELD_PER_CASE * source.totals().cases)
        result = audit_log(source, responsibility=responsibility, repeat_days=repeat_days,
                           calendar=cal, sections=sections, vocabulary=vocabulary,
                           per_case=False)
    if as_json:
        click.echo(dumps(result))
    elif as_csv:   # the per-unit table of the first section computed
        first = next(getattr(result, s) for s in SECTIONS if getattr(result, s) is not None)
        click.echo(csv_text(first["by_unit"]), nl=False)
    else:
        from procmine.i18n import language

        click.echo(format_audit(result, lang or language()))
