"""Options shared by the commands: reading a log, and writing results."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Collection, Iterator
from typing import Any

import click

from procmine.choices import ENGINES, TIME_MODES

_LOG_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("--case-id", {"help": "Column of the work-order id (工单编号)."}),
    ("--activity", {"help": "Column of the step (环节)."}),
    ("--timestamp", {"help": "Column of the time the step completed (时间)."}),
    ("--start-timestamp", {"help": "Column of the time the step started, if any."}),
    ("--resource", {"help": "Column of the acting unit (承办单位)."}),
    ("--level", {"help": "Column of the unit's administrative level (层级)."}),
    ("--kind", {"help": "Column of the unit's kind: line (条) or block (块)."}),
    ("--category", {"help": "Column of the case category (类别)."}),
    ("--source", {"help": "Column of the case source (来源)."}),
    ("--deadline", {"help": "Column of the case deadline (时限): a due time."}),
    ("--encoding", {"help": "Text encoding of a CSV (default: detected among UTF-8, GB18030, Latin-1)."}),
    ("--sheet", {"help": "Excel sheet name or 0-based index (default: the first)."}),
    ("--timezone", {"default": "Asia/Shanghai", "show_default": True,
                    "help": "Zone of timestamps written without an offset."}),
    ("--levels", {"help": "Administrative levels bottom up, comma-separated "
                          "(default: 网格,居村,街镇,区,市)."}),
    ("--strict", {"is_flag": True, "help": "Fail on the first bad row instead of dropping it."}),
    ("--order-as-time", {"is_flag": True,
                         "help": "For a log without times: the order of its events in the file "
                                 "stands for time (durations, waits and deadlines are then not "
                                 "measured; bottlenecks, loops and audit refuse the log)."}),
]

_MANY = {"multiple": True}
#: The filters (docs/filters.md), applied in this order after --filters FILE's own.
_FILTER_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("--filters", {"type": click.Path(exists=True, dir_okay=False), "metavar": "FILE.yaml",
                   "help": "Filter set: a YAML list of filters applied in the order written, "
                           "before the filter options (docs/filters.md)."}),
    ("--case-ids", {"type": click.Path(exists=True, dir_okay=False), "metavar": "FILE",
                    "help": "Keep the cases whose ids are in FILE (one a line)."}),
    ("--from", {"metavar": "TIME", "help": "Start of the period (e.g. 2024-01-01)."}),
    ("--to", {"metavar": "TIME", "help": "End of the period (a bare date: its end)."}),
    ("--time-mode", {"type": click.Choice(TIME_MODES), "default": "intersecting",
                     "show_default": True,
                     "help": "Cases contained in, intersecting, started or completed in the "
                             "period, or trim: the events in it."}),
    ("--where", {**_MANY, "metavar": "COL=V[,V]",
                 "help": "Cases whose attribute is (COL=...) or is not (COL!=...) a value, "
                         "e.g. 类别=占道经营,违章搭建 or 来源!=12345热线."}),
    ("--with-event", {**_MANY, "metavar": "COL=V[,V]",
                      "help": "Cases with an event of that value (COL!=...: without one), "
                              "e.g. 承办单位=城管执法中队."}),
    ("--starts-with", {"metavar": "ACT[,ACT]", "help": "Cases that start with one of them."}),
    ("--ends-with", {"metavar": "ACT[,ACT]", "help": "Cases that end with one of them."}),
    ("--follows", {**_MANY, "metavar": "A>B", "help": "Cases where A is directly followed "
                                                      "by B."}),
    ("--eventually", {**_MANY, "metavar": "A>B", "help": "Cases where A is followed by B, "
                                                         "directly or later."}),
    ("--never", {**_MANY, "metavar": "A>B", "help": "Cases where A is never followed by B."}),
    ("--duration", {"metavar": "LOW..HIGH", "help": "Case duration in clock time, bounds "
                                                    "included, e.g. 1d..30d or ..12h."}),
    ("--working-duration", {"metavar": "LOW..HIGH",
                            "help": "Case duration in working time (cn calendar), e.g. ..40h."}),
    ("--events", {"metavar": "LOW..HIGH", "help": "Events per case, e.g. 3..50."}),
    ("--top-variants", {"metavar": "K",
                        "help": "Cases of the K most frequent variants."}),
    ("--variant-coverage", {"metavar": "PCT",
                            "help": "Cases of the most frequent variants covering PCT% of "
                                    "cases."}),
    ("--variant-min-share", {"metavar": "PCT",
                             "help": "Cases of the variants that each hold PCT% of cases "
                                     "(pm4py's coverage filter)."}),
    ("--variant-ids", {"metavar": "ID[,ID]", "help": "Cases of these variants (ids of "
                                                     "procmine variants)."}),
    ("--keep-activities", {"metavar": "ACT[,ACT]", "help": "Keep only these activities' "
                                                           "events."}),
    ("--drop-activities", {"metavar": "ACT[,ACT]", "help": "Remove these activities' events."}),
    ("--activity-coverage", {"metavar": "PCT",
                             "help": "Keep the events of the most frequent activities "
                                     "covering PCT% of events."}),
]

LOG_KEYS = [name[2:].replace("-", "_") for name, _ in _LOG_OPTIONS + _FILTER_OPTIONS]
#: The filter options that filter when given (--time-mode only says how --from/--to do)
_FILTER_KEYS = [name[2:].replace("-", "_") for name, _ in _FILTER_OPTIONS if name != "--time-mode"]


def log_options(func: Callable) -> Callable:
    """Add the LOG argument, every column-mapping and reading option, and the filters."""
    func = click.option("-q", "--quiet", is_flag=True,
                        help="No progress on stderr (progress shows only on a terminal).")(func)
    for name, kwargs in reversed(_LOG_OPTIONS + _FILTER_OPTIONS):
        dest = name[2:].replace("-", "_")
        func = click.option(name, dest, **kwargs)(func)
    return click.argument("log", type=click.Path(dir_okay=False), callback=_headers_language)(func)


def _headers_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback for LOG: when nothing else chose the language, guess it from the
    file's header line (a CSV's first line, a Parquet schema), so that an error said before
    the log is read (an option, the workflow, a file without rows) follows a Chinese-headed
    log as the output after reading does (docs/language.md)."""
    from procmine import i18n

    if value and not i18n.decided():
        from procmine.read.columns import detect_columns
        from procmine.read.sniff import header_names

        names = header_names(value)
        try:   # the columns the reader would map, as follow_headers() looks at
            names = list(detect_columns(names).values()) or names
        except Exception:   # noqa: BLE001 - a guess only
            pass
        if names:
            i18n.guess_from_headers(names)
    return value


def filter_columns(chain: Any) -> list[str]:
    """The columns the filters of ``chain`` read besides case, activity and time: each
    filter's ``column`` (a canonical name, a header, or an alias such as ``category``)."""
    from procmine.filters.selection import ALIASES

    names = [getattr(f, "column", None) for f in chain.filters]
    return [ALIASES.get(n.lower(), n) for n in names if isinstance(n, str)]


def _with_filters(needs: Collection[str] | None, options: dict[str, Any]) -> list[str] | None:
    """``needs`` and the columns the filter options read; None (every column) when the
    filters cannot be built: their error then comes after reading, as without ``needs``."""
    from procmine.errors import ProcmineError

    if needs is None:
        return None
    if not _filtering(options):    # procmine.filters need not even be imported
        return list(needs)
    try:
        return [*needs, *filter_columns(filter_chain(options))]
    except ProcmineError:
        return None


def _filtering(options: dict[str, Any]) -> bool:
    """True when a filter option is given."""
    return any(options.get(key) not in (None, ()) for key in _FILTER_KEYS)


def filter_chain(options: dict[str, Any]) -> Any:
    """The FilterChain of the filter options (``--filters FILE`` first, then the options
    in the order of ``procmine filter --help``)."""
    from procmine.filters import FilterChain
    from procmine.filters.text import entries

    timezone = "Asia/Shanghai" if options.get("timezone") is None else options["timezone"]
    chain = FilterChain()
    if options.get("filters"):
        chain = FilterChain.from_yaml(options["filters"], timezone=timezone)
    items: list[tuple[str, Any]] = []
    if options.get("case_ids"):
        items.append(("case-ids", options["case_ids"]))
    if options.get("from") or options.get("to"):
        items.append(("time", {"from": options.get("from"), "to": options.get("to"),
                               "mode": options.get("time_mode") or "intersecting"}))
    # a working duration is measured on the command's --calendar when one is given
    ctx = click.get_current_context(silent=True)
    calendar = ctx.params.get("calendar") if ctx is not None else None
    for name, _ in _FILTER_OPTIONS[5:]:
        key = name[2:].replace("-", "_")
        value = options.get(key)
        for one in (value if isinstance(value, tuple) else (value,)):
            if one is not None and one != ():
                if key == "working_duration" and calendar not in (None, "auto"):
                    one = {"range": one, "calendar": calendar}
                items.append((name[2:], one))
    return chain + FilterChain(tuple(entries(items, timezone=timezone)))


def apply_filter_options(source: Any, options: dict[str, Any]) -> Any:
    """The log narrowed by the filter options (as given: an EventLog stays an EventLog),
    one line per filter on stderr; the steps are kept for the report (``filter_steps``)."""
    from procmine.cli.progress import name
    from procmine.i18n import message, say

    name(message("progress.analysing"))  # what the heartbeat says from here on
    if not _filtering(options):
        return source    # no filter given: procmine.filters need not even be imported
    chain = filter_chain(options)
    if not chain:
        return source
    from procmine.filters import apply_filters

    done = apply_filters(source, chain, progress=progress_line)
    ctx = click.get_current_context(silent=True)
    # said even with --json (the figures are of part of the log); not with --quiet
    for line in [] if ctx is not None and ctx.params.get("quiet") else done.lines():
        click.echo(say(line), err=True)
    if done.steps and done.steps[-1].events == 0:
        from procmine.errors import InputError

        raise InputError(f"the filters kept no events (after: {done.steps[-1].filter})",
                         hint="loosen the filters; stderr says what each one kept")
    if ctx is not None:
        ctx.meta["procmine.filtered"] = done
    from procmine.engines import as_engine

    # an EventLog given (read in memory) goes on as the EventLog of the pandas engine
    return done.engine if as_engine(source) is source else done.engine.log


def filter_steps() -> Any:
    """The ``procmine.filters.Filtered`` of this command's filters, or None."""
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.meta.get("procmine.filtered")


def pop_log_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the reading options out of a command's keyword arguments."""
    return {key: kwargs.pop(key) for key in LOG_KEYS if key in kwargs}


def progress_line(text: str) -> None:
    """Say the step that starts on stderr (only on a terminal, and not with --quiet)."""
    from procmine.cli.progress import stage
    from procmine.i18n import say

    stage(say(text))


def load(path: str, options: dict[str, Any], *, quiet: bool = False,
         needs: Collection[str] | None = None, bounded: bool = False):
    """Read a log with the command-line options and tell stderr what was done; ``needs``
    (None: every column) are the columns the command uses (``read_log(needs=)``), to which
    the columns the filters read are added. ``bounded``: the command runs under a memory
    limit (freed memory is then given back, not kept for the next arrays)."""
    from procmine.i18n import message
    from procmine.read import read_log

    progress_line(message("progress.reading", path=path))
    if not bounded:
        keep_freed_memory()
    levels = options.get("levels")
    columns = {k: options.get(k) for k in ("case_id", "activity", "timestamp", "start_timestamp",
                                           "resource", "level", "kind", "category", "source",
                                           "deadline", "citizen", "address")}
    log = read_log(
        path,
        columns={k: v for k, v in columns.items() if v},
        encoding=options.get("encoding"),
        sheet=options.get("sheet"),
        timezone="Asia/Shanghai" if options.get("timezone") is None else options["timezone"],
        levels=tuple(x.strip() for x in levels.split(",")) if levels else None,
        strict=bool(options.get("strict")),
        order_as_time=bool(options.get("order_as_time")),
        needs=_with_filters(needs, options),
    )
    from procmine import i18n

    i18n.follow_headers(log.report.mapping.values())    # Chinese headers: Chinese output
    from procmine.output import describe_load, load_changes

    if not quiet:
        click.echo(describe_load(log.report), err=True)
    elif changes := load_changes(log.report):
        # said even with --json or --csv (on stderr): what was dropped, mended or noted
        # (with --order-as-time, that the figures have no times)
        click.echo("\n".join(changes), err=True)
    return apply_filter_options(log, options)


#: glibc's ``mallopt`` parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8


def keep_freed_memory() -> None:
    """Have glibc serve large arrays from its heap and keep what is freed for the next
    ones, for the rest of this command (which holds the log in memory): by default each
    array over 32 MB (one number per event of a 5M-event log) is mapped afresh and given
    back when freed, so every such array costs its page faults again: 0.5 s of system
    time in a 5M ``procmine map`` (benchmarks/RESULTS.md, session 6). Nothing is done
    where the C library is not glibc, or when the user set glibc's malloc variables."""
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux") or any(
            k.startswith("MALLOC_") or k == "GLIBC_TUNABLES" for k in os.environ):
        return
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return
    # glibc only: another C library's mallopt numbers may mean other things
    if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallopt"):
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
        libc.mallopt(_M_ARENA_MAX, 1)


def engine_options(func: Callable) -> Callable:
    """Add --engine and --memory-limit (which engine computes the tables; docs/engines.md)."""
    func = click.option("--memory-limit", metavar="SIZE",
                        help="Memory the command may use with DuckDB (e.g. 4GiB; DuckDB's "
                             "buffers get 60%, spilling above); also the budget --engine "
                             "auto compares the log against.")(func)
    return click.option("--engine", type=click.Choice(ENGINES),
                        default="auto", show_default=True,
                        help="pandas in memory, duckdb out of core (CSV/Parquet), spark; auto "
                             "picks DuckDB when the file is large for the memory, and says "
                             "so.")(func)


@contextlib.contextmanager
def open_input(path: str, options: dict[str, Any], *, engine: str = "auto",
               memory_limit: str | None = None, quiet: bool = False,
               needs: Collection[str] | None = None) -> Iterator[Any]:
    """The log as the analyses take it: an EventLog (pandas) or an open engine.

    ``needs``: the optional columns the command uses, for the pandas engine
    (:func:`load`; default: every column).

    The engine chosen is said on stderr (pandas only unless ``quiet``; another
    engine always, and its progress unless ``quiet``); the engine is closed when
    the block ends. Reading options only pandas has
    (``--sheet``, ``--strict``) keep auto on pandas and are refused by the others.
    """
    from procmine import i18n
    from procmine.engines import memory_limit_bytes
    from procmine.errors import SpecError

    if memory_limit:    # (checked whichever engine reads the log)
        memory_limit_bytes(memory_limit)
    pandas_only = [f"--{k.replace('_', '-')}" for k in ("sheet", "strict", "order_as_time")
                   if options.get(k)]
    if pandas_only and engine not in ("auto", "pandas"):
        verb = "needs" if len(pandas_only) == 1 else "need"
        raise SpecError(f"{' and '.join(pandas_only)} {verb} --engine pandas",
                        hint="drop the option, or read the log with --engine pandas")
    if engine == "pandas" or pandas_only:
        yield load(path, options, quiet=quiet, needs=needs, bounded=memory_limit is not None)
        return
    from procmine.engines import engine_from_options

    opened, choice = engine_from_options(path, options, engine=engine, memory_limit=memory_limit)
    if choice.name == "pandas":
        opened.close()
        log = load(path, options, quiet=quiet, needs=needs, bounded=memory_limit is not None)
        if not quiet:
            click.echo(i18n.message("engine", name="pandas", reason=i18n.say(choice.reason)), err=True)
        yield log
        return
    with opened:
        progress_line(i18n.message("progress.reading_engine", path=path, name=choice.name))
        try:   # the engine reads the log's header here; Chinese headers: Chinese output, as load()
            i18n.follow_headers(opened.mapping.values())
        finally:   # said even with --json (on stderr): the figures come from another engine than usual
            click.echo(i18n.message("engine", name=choice.name, reason=i18n.say(choice.reason)), err=True)
        said = _engine_read(opened, path)
        if not quiet:
            click.echo("\n".join(said), err=True)
            opened.progress = _part_progress
        elif said[1:]:      # what was dropped or noted: said even with --json or --csv
            click.echo("\n".join(said[1:]), err=True)
        yield apply_filter_options(opened, options)
        if memory_limit and choice.name == "duckdb":    # said even when quiet, as the engine
            click.get_current_context().meta[MEMORY_LIMIT_KEY] = memory_limit


#: Where :func:`open_input` leaves the ``--memory-limit`` of a DuckDB run for the end of the
#: command (``click.Context.meta``): :func:`say_if_over` runs after the command's output
MEMORY_LIMIT_KEY = "procmine.memory_limit"


def say_if_over(memory_limit: str) -> None:
    """A note on stderr when the process's peak went over ``--memory-limit``: the limit
    bounds DuckDB's buffers and the parts of the log, not the libraries nor what a command
    keeps per case besides (docs/security.md), and going over must not pass unsaid. Called
    once the command has written its output (its JSON can be what peaks)."""
    from procmine import i18n
    from procmine.engines import human_size, parse_memory_limit, peak_memory

    peak = peak_memory()
    if peak is not None and peak > parse_memory_limit(memory_limit):
        click.echo(i18n.message("memory_over", peak=human_size(peak), limit=memory_limit), err=True)


def _engine_read(engine: Any, path: str) -> list[str]:
    """What an engine read, then what it dropped and noted: lines for stderr (as the load
    report of pandas)."""
    from procmine.i18n import message, say
    from procmine.output import describe_drops

    totals = engine.totals()
    lines = [message("load.read_engine", rows=totals.rows_read, path=path, name=engine.name,
                     kept=totals.events, dropped=sum(totals.dropped.values()))]
    lines += describe_drops(totals.dropped, totals.examples, totals.format)
    lines += [message("note", note=say(note)) for note in engine.read_notes()]
    return lines


def _part_progress(done: int, total: int) -> None:
    """One line on stderr per part of the log an engine hands out."""
    from procmine.i18n import message

    click.echo(message("progress.part", done=done, total=total), err=True)


def output_options(table: bool = True) -> Callable:
    """Add --json (and --csv for tabular results) to a command."""

    def decorate(func: Callable) -> Callable:
        if table:
            func = click.option("--csv", "as_csv", is_flag=True,
                                help="Write the result as CSV to stdout.")(func)
        func = click.option("--json", "as_json", is_flag=True,
                            help="Write the result as JSON to stdout.")(func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("as_json") and kwargs.get("as_csv"):
                from procmine.i18n import message

                raise click.UsageError(message("json_or_csv"))
            return func(*args, **kwargs)

        return wrapper

    return decorate


def calendar_option(purpose: str = "Working calendar", *, default: str = "auto") -> Callable:
    """The --calendar option shared by every command that reports durations."""
    return click.option(
        "--calendar", default=default, show_default=True, metavar="auto|cn|CC|weekdays|none|FILE",
        help=f"{purpose}: auto (cn for a Chinese log, else clock time; said on stderr), cn "
             "(office hours, weekends, Chinese holidays and swapped working days), a country "
             "code such as nl, it, us, de, gb (its public holidays, 09:00-17:00), weekdays "
             "(weekends only), none (clock time, 24x7), or a calendar file (docs/calendar.md).")


@contextlib.contextmanager
def working_calendar(option: str | None, source: Any, *, quiet: bool = False) -> Iterator[Any]:
    """The calendar of ``--calendar`` for an open log (``auto``: chosen from it).

    Says the choice on stderr in one line (also with --json; not with --quiet);
    years the calendar has no holiday data for are said once each, after the
    block, instead of as Python warnings.
    """
    import warnings

    from procmine.calendar import CalendarFallbackWarning

    choice = choose_for_log(option, source, quiet=quiet)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarFallbackWarning)
        yield choice.calendar
    from procmine.i18n import message, say

    for note in [] if quiet else choice.calendar.notes:
        click.echo(message("note.calendar", note=say(note)), err=True)


def choose_for_log(option: str | None, source: Any, *, quiet: bool = False) -> Any:
    """The :class:`~procmine.calendar.CalendarChoice` for an open log, said on stderr."""
    from procmine.calendar import choose_calendar

    facts: dict[str, Any] = {}
    if (option or "auto").strip().lower() == "auto":
        report = source.report if hasattr(source, "report") else source.load_report()
        ctx = click.get_current_context(silent=True)
        given = ctx is not None and ctx.get_parameter_source("timezone") not in (
            None, click.core.ParameterSource.DEFAULT)
        facts = {"headers": list(report.mapping.values()), "timezone": report.timezone,
                 "timezone_given": given}
    choice = choose_calendar(option, **facts)
    if not quiet:
        from procmine.i18n import say

        click.echo(say(choice.message()), err=True)
    return choice
