"""The ``procmine`` command: a thin click layer over the library.

Each command lives in ``procmine/cli/cmd_<name>.py`` and exposes ``command``.
Commands are imported on demand and import pandas and pm4py only inside their
bodies, so ``procmine --help`` answers at once.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import click

from procmine import __version__
from procmine.choices import LANGS
from procmine.cli.help import LANG_TYPED, HelpContext, in_chinese_too, typed_language
from procmine.errors import ProcmineError

_HERE = Path(__file__).parent


class _Interrupted(click.ClickException):
    exit_code = 130

    def __init__(self) -> None:
        from procmine.i18n import message

        super().__init__(message("error.interrupted"))


class _Failed(click.ClickException):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        from procmine.i18n import message

        click.echo(f"{message('error')}: {self.format_message()}", err=True, file=file)


class _Usage(click.UsageError):
    """A usage error (an unknown choice, a missing option) said in Chinese: click words
    its own in English."""

    def show(self, file: Any = None) -> None:
        from procmine.i18n import message

        ctx = self.ctx
        if ctx is not None:
            click.echo(message("usage", usage=ctx.get_usage().removeprefix("Usage: ")), err=True,
                       file=file)
            if ctx.command.get_help_option(ctx) is not None:
                click.echo(message("usage.help", command=ctx.command_path), err=True, file=file)
            click.echo(err=True, file=file)
        click.echo(f"{message('error')}: {self.format_message()}", err=True, file=file)


def _said(error: ProcmineError) -> str:
    """A library error in the output language: its message and its hint."""
    from procmine.i18n import message, say

    if not error.hint:
        return say(error.message)
    return message("error.hint", message=say(error.message), hint=say(error.hint))


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    from procmine import i18n

    if value is not None:
        i18n.set_language(value)


def _own_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A command's own ``--lang`` (its tables, its report, its data), when typed on the command
    line, is also the language of its messages."""
    from procmine import i18n

    if value is not None and ctx.get_parameter_source(param.name) is click.core.ParameterSource.COMMANDLINE:
        i18n.set_language(value)
    return value


#: ``--lang`` for a command that has none of its own (one option, added to every command)
_LANG_OPTION = dict(type=click.Choice(LANGS), expose_value=False, is_eager=True,
                    callback=_set_lang,
                    help="Language of tables and messages: zh or en (default: PROCMINE_LANG, "
                         "the locale, then the log's column names).")


#: The library names its parameters (``by='x'``); the command line names its options.
_OPTIONS = {
    "activities": "--activities", "activity": "--activity", "algorithm": "--algorithm",
    "by": "--by", "calendar": "--calendar", "case_id": "--case-id", "category": "--category",
    "date": "--reform-date", "encoding": "--encoding", "engine": "--engine",
    "key_file": "--key-file", "kind": "--type", "labels": "--labels", "lang": "--lang",
    "level": "--level",
    "method": "--method", "metric": "--metric", "noise": "--noise", "notation": "--notation",
    "other": "a second LOG", "paths": "--paths", "patterns": "--pattern",
    "resource": "--resource", "sheet": "--sheet", "split": "--split",
    "timestamp": "--timestamp", "top": "--top",
}
#: Whole phrases whose option reads differently from the parameter.
_PHRASES = {"read with strict=False": "drop --strict", "alignments=False": "drop --alignments",
            "read without order_as_time=True": "drop --order-as-time",
            "order_as_time=True": "--order-as-time"}
_PARAMETER = re.compile(r"\b([a-z_]+)=('[^']*'|[^\s,;:()'\"]+)?")


def options_named(message: str) -> str:
    """A library message with each ``parameter=value`` written as the command's option.

    >>> options_named("by='x': not a choice (choose one of unit, level)")
    '--by x: not a choice (choose one of unit, level)'
    >>> options_named("use engine='pandas'; drop noise=, or read with strict=False")
    'use --engine pandas; drop --noise, or drop --strict'
    """
    for phrase, option in _PHRASES.items():
        message = message.replace(phrase, option)

    def option(match: re.Match) -> str:
        flag = _OPTIONS.get(match.group(1))
        if flag is None:
            return match.group(0)
        value = (match.group(2) or "").strip("'")
        return f"{flag} {value}" if value else flag

    return _PARAMETER.sub(option, message)


def _with_lang(command: click.Command) -> click.Command:
    """``command`` taking ``--lang``, and each command of a group (``workflow check``) too."""
    own = next((p for p in command.params if p.name == "lang"), None)
    if own is None:
        command.params.append(click.Option(["--lang"], **_LANG_OPTION))
    elif own.callback is None:   # report, simulate, audit: their --lang, typed, sets messages too
        own.callback = _own_lang
    for sub in getattr(command, "commands", {}).values():
        _with_lang(sub)
    return command


class ProcmineGroup(click.Group):
    """Finds commands in ``cmd_*.py`` modules and turns errors into one line."""

    context_class = HelpContext   # help in Chinese under zh (procmine/cli/help.py)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # `--help --lang zh`: click prints the help before it reads the --lang after it
        ctx.meta[LANG_TYPED] = typed_language(args)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = [p.stem[4:] for p in _HERE.glob("cmd_*.py")]
        return sorted(n.replace("_", "-") for n in names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = f"procmine.cli.cmd_{name.replace('-', '_')}"
        if not (_HERE / f"cmd_{name.replace('-', '_')}.py").exists():
            return None
        from procmine.cli.outputs import check_outputs_first

        command = importlib.import_module(module).command
        return in_chinese_too(_with_lang(check_outputs_first(command)))

    def invoke(self, ctx: click.Context):
        from procmine.i18n import message

        traceback = bool((ctx.obj or {}).get("traceback")) or ctx.params.get("traceback")
        try:
            return super().invoke(ctx)
        except ProcmineError as e:
            if traceback:
                raise
            raise _Failed(options_named(_said(e)), e.exit_code) from None
        except KeyboardInterrupt:
            if traceback:
                raise
            raise _Interrupted() from None
        except click.UsageError as e:
            from procmine.i18n import language, say

            # a group without its command shows its help (NoArgsIsHelpError), in the language
            if language() != "zh" or isinstance(e, (_Usage, click.exceptions.NoArgsIsHelpError)):
                raise
            raise _Usage(say(e.format_message()), e.ctx) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as e:  # a full disk, a read-only folder: one line naming the file
            from procmine.i18n import say

            if traceback:
                raise
            where = f"{e.filename}: " if e.filename else ""
            what = say(str(e.strerror or e))
            raise _Failed(message("error.os", where=where, what=what), 1) from None
        except MemoryError:
            if traceback:
                raise
            raise _Failed(message("error.memory"), 1) from None
        except Exception as e:  # a bug: one line, and how to report it
            if _SIGNALLED:      # DuckDB turns our SIGTERM's exit into "Query interrupted"
                raise SystemExit(128 + _SIGNALLED[0]) from None
            if traceback:
                raise
            if type(e).__name__ == "OutOfMemoryException":  # DuckDB, within --memory-limit
                raise _Failed(message("error.memory_limit"), 1) from None
            raise _Failed(message("error.internal", kind=type(e).__name__, what=e), 70) from None


@click.group(cls=ProcmineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="procmine")
@click.option("--traceback", is_flag=True, help="Show the full traceback of an error.")
@click.option("--lang", type=click.Choice(LANGS), default=None,
              help="Language of every command's tables, messages and reports: zh or en "
                   "(default: PROCMINE_LANG, the locale, then the log's column names).")
@click.pass_context
def cli(ctx: click.Context, traceback: bool, lang: str | None) -> None:
    """Process mining for the dispatch logs of city governance.

    Point procmine at an event log (CSV, Excel, XES or Parquet) of work orders:
    one row per step (上报, 派遣, 签收, 处置, 核查, 结案 ...).

    \b
    Examples:
      procmine info logs/sample.csv
      procmine info logs/sample.csv --json | jq .cases

    Data goes to stdout, messages and progress to stderr. Add --traceback to any
    command to see the full traceback of an error.
    """
    from procmine import i18n

    ctx.ensure_object(dict)
    ctx.obj["traceback"] = ctx.obj.get("traceback") or traceback
    i18n.set_language(lang)           # also forgets the headers of an earlier run in process
    if lang is not None:              # commands with a --lang of their own take it as default
        ctx.default_map = {name: {"lang": lang} for name in ("report", "simulate", "audit")}


@cli.result_callback()
@click.pass_context
def _finished(ctx: click.Context, *_: Any, **__: Any) -> None:
    """After a command that finished well: the note of a ``--memory-limit`` its process went
    over (:func:`procmine.cli.options.say_if_over`), once its output is written."""
    from procmine.cli.options import MEMORY_LIMIT_KEY, say_if_over

    if ctx.meta.get(MEMORY_LIMIT_KEY):
        say_if_over(ctx.meta[MEMORY_LIMIT_KEY])


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``procmine`` console script.

    A Ctrl-C before click takes over ends with exit 130 like one during a command.
    Run as a program (``argv`` None), SIGTERM ends the command like an exit (status
    143), its temporary files removed, and a Ctrl-C after the command has finished is
    ignored: its outputs are whole, and the interpreter's exit must not turn a
    finished run into a KeyboardInterrupt traceback and a death by signal.
    """
    if argv is None:
        _quiet_huge_pages()
    if argv is None and hasattr(signal, "SIGTERM"):
        # `kill`, a job's time limit: unwind like an exit, so that the DuckDB engine's
        # folder and any half-written output are removed on the way out
        signal.signal(signal.SIGTERM, _terminated)
    try:
        _main(argv)
    except KeyboardInterrupt:
        from procmine.i18n import message

        click.echo(f"{message('error')}: {message('error.interrupted')}", err=True)
        sys.exit(130)
    finally:
        if argv is None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def run() -> None:
    """The ``procmine`` program (the console script, ``python -m procmine``): :func:`main`,
    and a command that finished well ends its process at once (:func:`_leave_at_once`)."""
    try:
        main()
    except SystemExit as e:
        if e.code in (0, None):
            _leave_at_once()
        raise
    _leave_at_once()


def _leave_at_once() -> None:
    """End the process of a command that finished well without the interpreter's
    teardown of every module and object (0.07 s with pandas and Arrow loaded, 0.1 s
    after a 5M-event log: benchmarks/RESULTS.md, session 9): the outputs are flushed and
    the exit functions run (``atexit``) as at a normal exit. Nothing is done while a
    thread of the command other than an idle helper of :mod:`procmine.hands` runs, or
    when the outputs cannot be flushed (the normal exit then says why)."""
    import atexit
    import threading

    from procmine.hands import idle_helper

    others = [t for t in threading.enumerate()
              if t is not threading.current_thread() and not t.daemon and not idle_helper(t)]
    if others:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()
    os._exit(0)


def _quiet_huge_pages() -> None:
    """Ask NumPy and Arrow's allocator (mimalloc) not to back large arrays with
    transparent huge pages (unless the user chose otherwise in ``NUMPY_MADVISE_HUGEPAGE``
    or ``MIMALLOC_ALLOW_THP``). On Linux with THP in ``madvise`` mode (the common
    default), each first touch of such an array may compact memory to find a free 2 MB
    page: on a 5M-event log that was 1.5-2 s of system time in a 3.7 s ``procmine map``
    (NumPy), and another 0.8-1 s in Arrow's CSV reading (benchmarks/RESULTS.md, session
    6; mimalloc turns them off for the whole process). Read when NumPy and pyarrow are
    imported, which the commands do in their bodies, after this."""
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    os.environ.setdefault("MIMALLOC_ALLOW_THP", "0")


#: the signal that is ending the command (SIGTERM), once it came
_SIGNALLED: list[int] = []


def _terminated(signum: int, frame: object) -> None:
    _SIGNALLED.append(signum)
    sys.exit(128 + signum)


def _main(argv: list[str] | None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    traceback = "--traceback" in args
    args = [a for a in args if a != "--traceback"]
    if hasattr(signal, "SIGPIPE"):
        # `procmine ... | head` closes the pipe early: end quietly like other Unix tools.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    from procmine.cli import progress

    shown = progress.begin(args)
    try:
        cli.main(args=args, prog_name="procmine", obj={"traceback": traceback})
    finally:
        shown.stop()
