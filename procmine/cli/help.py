"""``--help`` in Chinese: the same page as click's, its words from ``words/help.json``.

Under ``zh`` (``--lang zh`` anywhere on the command line, else the language of
:func:`procmine.i18n.language`) a command's help is click's own layout with the
texts swapped: the docstring's paragraphs (an ``Examples:`` block keeps its command
lines, only its heading is said in Chinese), each option's help and click's own
words (``Usage:``, ``Options``, ``[default: 10]``). A text whose English in the
words file is not the command's English any more is shown in English (a test
fails until its Chinese is updated). English help is click's, untouched.

Chinese has no spaces to break lines at: the texts are wrapped here by display
width (a Han character is two columns) and handed to click as blocks it keeps.
The words are read only when help is shown in Chinese.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import click

#: ``ctx.meta`` key: the ``--lang`` typed anywhere on the command line (help may be
#: printed before a ``--lang`` after ``--help`` is read)
LANG_TYPED = "procmine.lang_typed"


def typed_language(args: list[str]) -> str | None:
    """The last ``--lang`` value on a command line, or None.

    >>> typed_language(["info", "--help", "--lang", "zh"]), typed_language(["--lang=en", "info"])
    ('zh', 'en')
    """
    from procmine.choices import LANGS

    found = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = arg[len("--lang="):] if arg.startswith("--lang=") else (
            args[i + 1] if arg == "--lang" and i + 1 < len(args) else None)
        if value in LANGS:
            found = value
    return found


def help_language(ctx: click.Context) -> str:
    """The language ``ctx``'s help is shown in."""
    from procmine.i18n import language

    return ctx.meta.get(LANG_TYPED) or language()


class HelpContext(click.Context):
    """A context whose help is in Chinese when the language is ``zh``."""

    def get_help(self) -> str:
        if help_language(self) != "zh":
            return super().get_help()
        formatter = ChineseFormatter(self, width=self.terminal_width,
                                     max_width=self.max_content_width)
        self.command.format_help(self, formatter)
        return formatter.getvalue().rstrip("\n")


def in_chinese_too(command: click.Command) -> click.Command:
    """``command`` (and a group's subcommands) with help in Chinese under ``zh``."""
    command.context_class = HelpContext
    for sub in getattr(command, "commands", {}).values():
        in_chinese_too(sub)
    return command


def command_key(ctx: click.Context) -> str:
    """The command's key in ``words/help.json``: its path below ``procmine``
    (``""``, ``"info"``, ``"workflow check"``)."""
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def option_key(param: click.Parameter) -> str:
    """An option's key in ``words/help.json``: its first long name (``--output``), else
    its first name; an argument's: its name in capitals (``LOG``)."""
    if isinstance(param, click.Argument):
        return (param.name or "").upper()
    names = [o for o in param.opts if o.startswith("--")]
    return (names or param.opts)[0]


def _words() -> dict[str, Any]:
    from procmine.i18n import words

    return words("help")


def chinese_text(key: str, text: str) -> str | None:
    """The Chinese of a command's help ``text`` (its docstring as click shows it), or
    None when the words file has none for this English; an ``Examples:`` block stays."""
    entry = _words()["commands"].get(key, {}).get("help", {})
    paragraphs = text.split("\n\n")
    prose = [p for p in paragraphs if not is_examples(p)]
    if not prose or entry.get("en") != prose or len(entry.get("zh", [])) != len(prose):
        return None
    chinese = iter(entry["zh"])
    heading = _words()["click"]["Examples:"]
    return "\n\n".join(p.replace("Examples:", heading, 1) if is_examples(p) else next(chinese)
                       for p in paragraphs)


def is_examples(paragraph: str) -> bool:
    """True for a docstring's block of example command lines."""
    return paragraph.startswith("\b\nExamples:")


def chinese_option(key: str, param: click.Parameter) -> str | None:
    """The Chinese help of an option or argument of command ``key``, or None when the
    words file has none for its English (the command's own entry, else the shared one)."""
    table = _words()
    for entry in (table["commands"].get(key, {}).get("options", {}).get(option_key(param)),
                  table["options"].get(option_key(param))):
        if entry and entry.get("en") == param.help and entry.get("zh"):
            return entry["zh"]
    return None


def chinese_short(key: str, command: click.Command | None) -> str | None:
    """A command's line in its group's list: the first paragraph of its Chinese help
    (None when that is missing or stale)."""
    if command is None or chinese_text(key, english_help(command)) is None:
        return None
    return _words()["commands"][key]["help"]["zh"][0]


class ChineseFormatter(click.HelpFormatter):
    """click's help formatter, writing the Chinese of what click hands it."""

    def __init__(self, ctx: click.Context, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx, self.key, self.section_name = ctx, command_key(ctx), ""
        self.click = _words()["click"]
        self.options = {}   # click's row of a parameter -> the row in Chinese
        for param in ctx.command.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                self.options[record] = (record[0], self._option_help(param, record[1]))

    def _option_help(self, param: click.Parameter, english: str) -> str:
        chinese = chinese_option(self.key, param) if param.help else ""
        if chinese is None:
            return english
        extra = param.get_help_extra(self.ctx) if isinstance(param, click.Option) else {}
        items = []
        if "envvars" in extra:
            items.append(self.click["env var: {var}"].format(var=", ".join(extra["envvars"])))
        if "default" in extra:
            items.append(self.click["default: {default}"].format(default=extra["default"]))
        if "range" in extra:
            items.append(extra["range"])
        if "required" in extra:
            items.append(self.click["required"])
        if items:
            chinese = f"{chinese}  [{'；'.join(items)}]" if chinese else f"[{'；'.join(items)}]"
        return chinese

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix=self.click["Usage:"])

    def write_heading(self, heading: str) -> None:
        self.section_name = heading
        self.write(f"{'':>{self.current_indent}}{self.click.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        chinese = chinese_text(self.key, text)
        if chinese is None:
            return super().write_text(text)
        super().write_text(kept_as_wrapped(chinese, self.width - self.current_indent))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [self._row(tuple(row)) for row in rows]
        first = min(max((click.formatting.term_len(r[0]) for r in rows), default=0), col_max)
        width = max(self.width - first - col_spacing - 2, 10)
        wrapped = []
        for name, text in rows:
            if self.section_name == "Commands":
                text = shortened(text, width)
            wrapped.append((name, kept_as_wrapped(text, width) if text else text))
        super().write_dl(wrapped, col_max=col_max, col_spacing=col_spacing)

    def _row(self, row: tuple[str, str]) -> tuple[str, str]:
        if self.section_name == "Commands":
            sub = self.ctx.command.get_command(self.ctx, row[0])  # type: ignore[attr-defined]
            short = chinese_short(f"{self.key} {row[0]}".strip(), sub)
            return (row[0], short) if short else row
        return self.options.get(row, row)


# --- wrapping by display width ---------------------------------------------------

#: closing punctuation stays on the line of what it closes; opening, with what it opens
_CLOSING = "，。、；：？！）」』”’》〉…%,.;:?!)]}"
_OPENING = "（「『“‘《〈([{"
_WIDE = "\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef"
_PIECE = re.compile(f"[{_WIDE}]\\s*|[^\\s{_WIDE}]+\\s*")


def width_of(text: str) -> int:
    """Columns ``text`` takes on a terminal (a Han character or a full-width sign: 2)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pieces(text: str) -> Iterator[str]:
    """``text`` in the pieces a line may break between: each Han character, each
    ASCII word with its spaces; punctuation bound to its neighbour, brackets kept whole."""
    pieces: list[str] = []
    for piece in _PIECE.findall(text):
        if pieces and (piece[0] in _CLOSING or _open(pieces[-1])):
            pieces[-1] += piece
        else:
            pieces.append(piece)
    yield from pieces


def _open(piece: str) -> bool:
    """True when the piece opens what the next piece goes on with: it ends in an opening
    sign, or in a ``[`` not yet closed by a space (click's ``[默认：auto]`` stays whole;
    a longer one may break at its spaces)."""
    if piece[-1].isspace():
        return False
    return piece[-1] in _OPENING or piece.count("[") > piece.count("]")


def wrapped(text: str, width: int) -> list[str]:
    """``text`` (one paragraph) as lines of at most ``width`` columns (a longer piece
    has a line of its own).

    >>> wrapped("按工单统计环节之间的等待时间（工作时间），见 docs/bottlenecks.md。", 24)
    ['按工单统计环节之间的等待', '时间（工作时间），见', 'docs/bottlenecks.md。']
    """
    lines, line = [], ""
    for piece in _pieces(text):
        if line and width_of(line + piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    return lines + ([line.rstrip()] if line.strip() else [])


def kept_as_wrapped(text: str, width: int) -> str:
    """``text``'s paragraphs wrapped by display width, each marked (``\\b``) for click
    to keep as it is; a block already marked stays as written."""
    out = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("\b"):
            out.append(paragraph)
        else:
            out.append("\b\n" + "\n".join(wrapped(_joined(paragraph), width)))
    return "\n\n".join(out)


def _joined(paragraph: str) -> str:
    """A paragraph's lines as one line (a space between lines only where one of the
    two sides is not Chinese)."""
    lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
    text = lines[0] if lines else ""
    for line in lines[1:]:
        wide = width_of(text[-1]) == 2 and width_of(line[0]) == 2
        text += line if wide else " " + line
    return text


def shortened(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, with an ellipsis when cut (a command's line in
    its group's list)."""
    if width_of(text) <= width:
        return text
    while text and width_of(text) > width - 2:
        text = text[:-1]
    return text + "…"


def english_help(command: click.Command) -> str:
    """A command's help text as click shows it (the docstring before any ``\\f``)."""
    return inspect.cleandoc(command.help or "").partition("\f")[0]
