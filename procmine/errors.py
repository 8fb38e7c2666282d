"""One error hierarchy. The library raises these; the CLI prints them as one line."""

from __future__ import annotations

import re


class ProcmineError(Exception):
    """Base of every error procmine raises on purpose.

    The message says what is wrong, where (file, row, column) and what to do.

    >>> str(ProcmineError("no such column 'x'", hint="name it with activity='...'"))
    "no such column 'x' (name it with activity='...')"
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


class InputError(ProcmineError):
    """The input file cannot be read or does not hold an event log."""

    exit_code = 2


class ColumnError(InputError):
    """A required column is missing or ambiguous."""


class SpecError(ProcmineError):
    """A workflow spec, calendar file or rates file is invalid."""

    exit_code = 2


class ChoiceError(SpecError):
    """A parameter got a value that is not one of its choices (an unknown ``by``,
    ``metric``, ``algorithm``, pattern, engine ...). Raised by :func:`check_choice`."""


def check_choice(parameter: str, value: object, choices: tuple | list) -> None:
    """Raise :class:`ChoiceError` unless ``value`` is one of ``choices``.

    The message names the parameter as in Python (``by='x'``); the command line
    shows the same error with its option (``--by x``).

    >>> check_choice("by", "unit", ("unit", "level"))
    >>> check_choice("by", "x", ("unit", "level"))
    Traceback (most recent call last):
    ...
    procmine.errors.ChoiceError: by='x': not a choice (choose one of unit, level)
    """
    if value not in choices:
        raise ChoiceError(f"{parameter}={value!r}: not a choice",
                          hint="choose one of " + ", ".join(map(str, choices)))


class OutputError(ProcmineError):
    """An output cannot be written."""


class OutputPathError(OutputError):
    """The output path is not one procmine may write (the input log, or ``-``): a usage error."""

    exit_code = 2


class DependencyError(ProcmineError):
    """An optional program or package is missing (Graphviz, a CJK font, pyspark)."""

    exit_code = 3


_NOT_IN_NAMES = re.compile(r"[$\"'`<>\\{}|;=\x00-\x1f\x7f]")


def describe_columns(columns, *, limit: int = 30) -> str:
    """The column names of a file, for an error message, without echoing file content
    that is not a column name: a header cell longer than 40 characters or with
    characters names do not have (``$``, quotes, control characters ...) is shown as
    its position and length only, so a non-log file (a password file behind a
    symlink, a key) never lands in a message.

    >>> describe_columns(["工单编号", "环节", "时间"])
    '工单编号, 环节, 时间'
    >>> describe_columns(["root:$6$salt$0123456789abcdef0123456789abcdef:19000:0:99999:7:::"])
    'column 1 (64 characters, not shown: it does not look like a column name)'
    """
    shown = []
    for i, name in enumerate(list(columns)[:limit]):
        text = str(name)
        if 0 < len(text) <= 40 and not _NOT_IN_NAMES.search(text):
            shown.append(text)
        else:
            shown.append(f"column {i + 1} ({len(text)} characters, not shown: it does not "
                         "look like a column name)")
    more = len(list(columns)) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
