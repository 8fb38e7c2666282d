"""procmine anonymize: keyed pseudonyms and PII columns dropped."""

from __future__ import annotations

import click

from procmine.cli.options import load, log_options, pop_log_options
from procmine.cli.outputs import output_option


@click.command("anonymize")
@log_options
@output_option("-o", "--output", required=True, kind="log",
              help="Anonymised log to write (.csv, .parquet or .xes).")
@click.option("--key-file", type=click.Path(dir_okay=False),
              help="File holding the secret key (else the PROCMINE_ANON_KEY variable).")
@click.option("--pseudonymize", "columns", multiple=True,
              help="Also pseudonymise this column (repeatable).")
@click.option("--keep", multiple=True, help="Keep this column although it looks personal.")
@click.option("--drop", multiple=True, help="Also drop this column (repeatable).")
@click.option("--keep-units", is_flag=True, help="Keep unit names (org:resource) in clear.")
@click.option("--shift-days", default=0, type=click.IntRange(0, 3650), show_default=True,
              help="Shift each case by whole weeks within ± this many days.")
@output_option("--mapping-out", kind="table",
              help="Write the original → pseudonym table here, .csv or .xlsx (secret!).")
def command(log: str, output: str, key_file: str | None, columns: tuple[str, ...],
            keep: tuple[str, ...], drop: tuple[str, ...], keep_units: bool, shift_days: int,
            mapping_out: str | None, **kwargs) -> None:
    """Pseudonymise LOG with a secret key and drop columns with personal data.

    Case ids and units become HMAC-SHA256 pseudonyms (same key, same pseudonyms
    across files); columns with phone numbers, ID numbers, names, addresses or
    free text are dropped and listed; in the columns analyses need (activity,
    unit, category ...) such data is masked inside the value (回访[电话]).
    Nothing links pseudonyms to originals unless --mapping-out is given (written
    readable by you only, mode 0600).

    \b
    Examples:
      python -c "import secrets; print(secrets.token_hex(32))" > key.txt
      procmine anonymize orders.xlsx --key-file key.txt -o orders-anon.csv
      PROCMINE_ANON_KEY=... procmine anonymize log.csv -o anon.parquet --keep 备注
    """
    from procmine.anonymize import anonymize_log, load_key
    from procmine.output import write_table
    from procmine.read import write_log

    key = load_key(key_file)
    event_log = load(log, pop_log_options(kwargs))
    result = anonymize_log(event_log, key, columns=columns, keep=keep, drop=drop,
                           pseudonymise_resources=not keep_units, shift_days=shift_days,
                           with_mapping=bool(mapping_out))
    events = result.events
    if event_log.report.time_from_order:    # the log had no times: it gets none invented
        events = events.drop(columns=["time:timestamp"])
    if not output.lower().endswith((".xes", ".xes.gz")):
        # keep the analyst's own headers, so the file reads back with the same mapping
        from procmine import i18n
        from procmine.log import KIND

        if KIND in events.columns and i18n.language() == "zh":    # 条/块 stay 条/块
            events = events.assign(**{KIND: events[KIND].map(i18n.KINDS).fillna(events[KIND])})
        events = events.rename(columns=event_log.report.mapping)
    notes = write_log(events, output, inputs=[log])
    if mapping_out:
        write_table({"mapping": result.mapping}, mapping_out, inputs=[log, output], private=True)
    from procmine.i18n import message, say

    click.echo(message("anonymize.pseudonymised", columns=", ".join(result.pseudonymised)), err=True)
    for column, count in result.masked.items():
        header = event_log.report.mapping.get(column, column)
        click.echo(message("anonymize.masked", count=count, s="s" * (count != 1), column=repr(header)),
                   err=True)
    for column, reason in result.dropped.items():
        count = result.dropped_values.get(column)
        counted = message("anonymize.values", count=count) if count is not None else ""
        header = event_log.report.mapping.get(column, column)
        click.echo(message("anonymize.dropped", column=repr(header), reason=say(reason), counted=counted),
                   err=True)
    for note in notes:
        click.echo(message("note", note=say(note)), err=True)
    if result.shifted:
        click.echo(message("anonymize.shifted", days=shift_days), err=True)
    click.echo(message("wrote_events", events=len(events), path=output), err=True)
