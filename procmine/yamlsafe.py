"""Refuse YAML that nests too deep or refers to itself, before it is built.

PyYAML builds nested lists and mappings recursively, so a file nested a few
thousand levels deep (or an anchor that contains an alias of itself, ``&a [*a]``)
ends in a RecursionError in whatever walks it. :func:`check_yaml_text` reads the
parser's event stream (which does not recurse) and raises SpecError first.

>>> check_yaml_text("steps: [a, b]", "ok.yaml")
>>> check_yaml_text("steps: &a [x, *a]", "loop.yaml")
Traceback (most recent call last):
...
procmine.errors.SpecError: loop.yaml, line 1: the alias *a refers to a list or mapping that contains it (write the values out instead of the alias)
"""

from __future__ import annotations

from typing import Any

from procmine.errors import SpecError
from procmine.limits import MAX_YAML_ALIASES, MAX_YAML_DEPTH


def check_yaml_text(text: str, name: str) -> None:
    """Raise SpecError when the YAML in ``text`` nests deeper than
    :data:`~procmine.limits.MAX_YAML_DEPTH`, has more than
    :data:`~procmine.limits.MAX_YAML_ALIASES` aliases, or an alias inside its own anchor.

    Syntax errors are left to the caller's YAML reader, which reports them with its line.
    """
    import yaml

    open_anchors: list[str | None] = []
    aliases = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.CollectionStartEvent):
                open_anchors.append(event.anchor)
                if len(open_anchors) > MAX_YAML_DEPTH:
                    raise SpecError(f"{name}, line {line}: the YAML nests more than "
                                    f"{MAX_YAML_DEPTH} lists or mappings deep",
                                    hint="a workflow, calendar or rates file needs a few levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                open_anchors.pop()
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if event.anchor in open_anchors:
                    raise SpecError(f"{name}, line {line}: the alias *{event.anchor} refers to a "
                                    "list or mapping that contains it",
                                    hint="write the values out instead of the alias")
                if aliases > MAX_YAML_ALIASES:
                    raise SpecError(f"{name}, line {line}: more than {MAX_YAML_ALIASES} YAML "
                                    "aliases (*name)", hint="write the values out")
    except yaml.YAMLError:
        return


def describe_yaml_error(error: Exception) -> str:
    """A YAML syntax error as one line: ``line N: problem`` (PyYAML's own text spans
    several lines and quotes the input back).

    >>> import yaml
    >>> try:
    ...     yaml.safe_load("a: [b")
    ... except yaml.YAMLError as e:
    ...     print(describe_yaml_error(e))
    line 1: expected ',' or ']', but got '<stream end>'
    """
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or getattr(error, "reason", None) or str(error)
    if mark is None and getattr(error, "position", None) is not None:
        return f"position {error.position}: {' '.join(str(problem).split())}"  # type: ignore[attr-defined]
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return where + " ".join(str(problem).split())


def as_list(value: Any) -> list[Any]:
    """A YAML value that stands for a list: a list as it is, nothing (``null``) as no
    items, and one value (a string, a number, a date, a mapping) as a list of that one
    item, so ``weekend: sat`` means ``[sat]``, never the letters s, a, t. The one reading
    of such values for every file procmine reads (calendars, filter sets, the
    responsibility list, the vocabulary).

    >>> as_list("sat"), as_list(["sat", "sun"]), as_list(None)
    (['sat'], ['sat', 'sun'], [])
    """
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]
