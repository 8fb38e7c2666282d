"""One error hierarchy. The library raises these; the CLI prints them as one line."""

from __future__ import annotations


class ProcmineError(Exception):
    """Base of every error procmine raises on purpose.

    The message says what is wrong, where (file, row, column) and what to do.

    >>> str(ProcmineError("no such column 'x'", hint="use --activity"))
    "no such column 'x' (use --activity)"
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


class OutputError(ProcmineError):
    """An output cannot be written."""


class OutputPathError(OutputError):
    """The output path is not one procmine may write (the input log, or ``-``): a usage error."""

    exit_code = 2


class DependencyError(ProcmineError):
    """An optional program or package is missing (Graphviz, a CJK font, pyspark)."""

    exit_code = 3
