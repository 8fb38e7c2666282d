"""Options naming the files a command writes, all checked before its work starts."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click


class OutputOption(click.Option):
    """An option naming a file the command writes, and the kind of file it is
    (:data:`procmine.files.OUTPUT_SUFFIXES`); ``also``: the files written beside it
    (a simulated log's truth file). :func:`check_outputs_first` checks them all."""

    def __init__(self, *args: Any, kind: str, also: Callable[[str], list[str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.also = also


def output_option(*decls: str, kind: str, also: Callable[[str], list[str]] | None = None,
                  **kwargs: Any) -> Callable:
    """An option that names an output file of ``kind``: ``-`` refused at once
    (:func:`file_output`), the rest checked with every other output of the command
    before it starts (:func:`check_outputs_first`)."""
    return click.option(*decls, cls=OutputOption, kind=kind, also=also,
                        type=click.Path(dir_okay=False), callback=file_output, **kwargs)


def check_outputs_first(command: click.Command) -> click.Command:
    """``command`` (and each command of a group) checking all its output files before its
    work starts (:func:`procmine.files.check_outputs`): a missing or read-only folder, a
    format the option cannot write, an input overwritten or two outputs on one path is one
    error, exit 2, and no file is written, rather than some outputs written and the command
    failing at a later one. Inputs are the values of the other options and arguments that
    name existing files (the log, --workflow, --calendar FILE ...)."""
    for sub in getattr(command, "commands", {}).values():
        check_outputs_first(sub)
    outputs = [p for p in command.params if isinstance(p, OutputOption)]
    inner = command.callback
    if not outputs or inner is None or getattr(inner, "outputs_checked", False):
        return command

    @functools.wraps(inner)
    def checked(*args: Any, **kwargs: Any) -> Any:
        import os

        from procmine.files import check_outputs

        ctx = click.get_current_context()
        declared = []
        for param in outputs:
            path = ctx.params.get(param.name or "")
            if path:
                option = max(param.opts, key=len)
                declared.append((option, path, param.kind))
                declared += [(option, more, "table") for more in (param.also(path) if param.also else [])]
        if declared:
            inputs = [str(v) for p in command.params if not isinstance(p, OutputOption)
                      for v in _values(ctx.params.get(p.name or ""))
                      if isinstance(v, str) and v and os.path.isfile(v)]
            check_outputs(declared, inputs=inputs)
        return inner(*args, **kwargs)

    checked.outputs_checked = True  # type: ignore[attr-defined]
    command.callback = checked
    return command


def _values(value: Any) -> tuple:
    return value if isinstance(value, (tuple, list)) else (value,)


def file_output(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback for ``-o``: refuse ``-`` and an empty path at once (a usage error,
    exit 2), before any work; procmine writes files, and ``--json``/``--csv`` print data to
    stdout."""
    if value in ("-", ""):
        from procmine.i18n import message

        raise click.BadParameter(message("file_output" if value else "file_output_empty"))
    return value
