"""The deviations in plain words: read from the alignments or the replay, per kind and per case.

``_find_deviations`` turns each variant's alignment moves (or replay problems)
into kinds of deviation (skipped, order, repeated, unexpected) with the event
position of their first occurrence; ``_deviations`` and ``_same_unit`` make the
``Deviation`` rows with their cases, share and units; ``_case_table`` is the
per-case table with each case's deviations in short form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.conform.events import _EventFacts, _most, _tally
from procmine.conform.result import Deviation

if TYPE_CHECKING:
    from procmine.conform.alignments import Move


def _occurrences(trace: tuple, moves: list[Move], model_steps: set[str] | None = None
                 ) -> list[tuple[tuple, int, str | None]]:
    """Deviations of one variant from its alignment: (key, event position, detail).

    A model move and a log move of the same step are one step out of order; the
    other model moves are skipped steps; the other log moves are read in runs (one
    after another): a run that repeats steps done before is one repetition ("退单 →
    改派 repeated"), a run that starts with a step the model lacks is one unexpected
    step followed by the rest of the run.
    """
    out: list[tuple[tuple, int, str | None]] = []
    n = len(trace)
    next_pos = [n - 1] * len(moves)   # the next event at or after each move
    pos = n - 1
    for k in range(len(moves) - 1, -1, -1):
        if moves[k][2] >= 0:
            pos = moves[k][2]
        next_pos[k] = max(0, min(pos, n - 1))
    model_at: dict[str, list[int]] = {}
    log_at: dict[str, list[int]] = {}
    for k, (kind, label, _) in enumerate(moves):
        if kind == "model":
            model_at.setdefault(label, []).append(k)
        elif kind == "log":
            log_at.setdefault(label, []).append(k)
    if model_steps is None:
        model_steps = {m[1] for m in moves if m[0] in ("sync", "model")}

    def sync_near(k: int, step: int) -> str | None:
        j = k + step
        while 0 <= j < len(moves):
            if moves[j][0] == "sync":
                return moves[j][1]
            j += step
        return None

    paired: set[int] = set()
    for label in sorted(set(model_at) & set(log_at)):
        for a, b in zip(model_at[label], log_at[label], strict=False):
            paired.add(b)
            if b > a:      # expected at a, happened later at b: another step came first
                other = sync_near(a, +1)
                key, detail = (("order", other, None), label) if other else (("misplaced", label, None), None)
            else:          # happened at b, before the point a where it belongs
                other = sync_near(a, -1)
                key, detail = (("order", label, None), other) if other else (("misplaced", label, None), None)
            out.append((key, moves[b][2], detail))
    tail = _skipped_tail(moves)
    if tail:
        last = sync_near(len(moves), -1)
        out.append((("incomplete", last or "start", None), n - 1 if n else 0,
                    "without " + collapse([moves[k][1] for k in tail], limit=4)))
    for label, at in model_at.items():
        for a in at[len(log_at.get(label, [])):]:
            if a not in tail:
                out.append((("skipped", label, None), next_pos[a], None))
    # runs of the remaining log moves (silent model moves do not break a run)
    runs: list[list[int]] = []
    current: list[int] = []
    for k, (kind, _, _) in enumerate(moves):
        if kind == "log" and k not in paired:
            current.append(k)
        elif kind != "tau" and current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    for run in runs:
        steps = [moves[k][1] for k in run]
        first_pos = moves[run[0]][2]
        done_before = set(trace[:first_pos])
        rest = f"then {collapse(steps[1:], limit=5)}" if len(steps) > 1 else None
        if steps[0] not in model_steps:
            out.append((("unexpected", steps[0], None), first_pos, rest))
        elif all(s in done_before or s in steps[:i] for i, s in enumerate(steps)):
            # a loop: named by the step it goes back to (the earliest in the case)
            loop = sorted(dict.fromkeys(steps), key=trace.index)
            times = max(steps.count(x) for x in loop) + 1
            out.append((("repeated", loop[0], None), first_pos, f"{' → '.join(loop)} ×{times}"))
        else:
            out.append((("misplaced", steps[0], None), first_pos, rest))
    return out


def _skipped_tail(moves: list[Move]) -> list[int]:
    """The model moves after the case's last event, when there are two or more: the case
    ended before the workflow did."""
    tail = []
    for k in range(len(moves) - 1, -1, -1):
        kind = moves[k][0]
        if kind in ("sync", "log"):
            break
        if kind == "model":
            tail.append(k)
    return tail[::-1] if len(tail) >= 2 else []


def collapse(steps: list[str], *, limit: int = 6) -> str:
    """Steps in words with their loops collapsed: ``a → b → a → b → a → c`` reads
    ``a → b ×2 → a → c``, and a long run is cut after ``limit`` parts.

    >>> collapse(["T06", "T07-1", "T06", "T07-1", "T06", "T07-1", "T10"])
    'T06 → T07-1 ×3 → T10'
    """
    parts: list[str] = []
    i = 0
    while i < len(steps):
        best, size_best = 1, 1
        for size in range(1, (len(steps) - i) // 2 + 1):
            unit = steps[i:i + size]
            times = 1
            while steps[i + times * size:i + (times + 1) * size] == unit:
                times += 1
            if times > 1 and times * size > best * size_best:
                best, size_best = times, size
        unit = " → ".join(steps[i:i + size_best])
        parts.append(f"{unit} ×{best}" if best > 1 else unit)
        i += best * size_best
    more = len(parts) - limit
    return " → ".join(parts[:limit]) + (f" → … ({more} more)" if more > 0 else "")


def _token_occurrences(trace: tuple, r: dict[str, Any]) -> list[tuple[tuple, int, str | None]]:
    out: list[tuple[tuple, int, str | None]] = []
    if r.get("fits_by_alignment"):     # a duplicated step misread by token replay, not a deviation
        return out
    for activity, i in r["problems"]:
        out.append((("misplaced", activity, "early"), i, None))
    for activity, i in r["not_in_model"]:
        out.append((("unexpected", activity, None), i, None))
    if r["remaining"] and trace:
        out.append((("skipped", "end", None), len(trace) - 1, None))
    return out


def _phrase(key: tuple, cases: int | None, total: int, detail: str | None = None) -> str:
    """A deviation in plain words; without ``cases``, the short form used per case."""
    kind, step, other = key
    noun = "case" if cases == 1 else "cases"
    where = f" in {cases:,} {noun} ({cases / total:.1%})" if cases is not None else ""
    if kind == "skipped" and step == "end":
        text = f"ended before the end of the workflow (tokens left){where}"
    elif kind == "incomplete":
        text = f"ended after {step}, before the end of the workflow{where}"
    elif kind == "skipped":
        text = f"{step} skipped{where}"
    elif kind == "order":
        text = f"{step} before {other}{where}" if other else f"{step} before its turn{where}"
    elif kind == "repeated":
        text = f"{other or step} repeated{where}"
    elif kind == "same_unit":
        text = f"{step} back at a unit that had returned the order (ping-pong){where}"
    elif kind == "misplaced" and other == "early":
        text = f"{step} without its preconditions (out of order, or after a skipped step){where}"
    elif kind == "misplaced":
        text = f"{step} out of order (in the workflow, not at that point){where}"
    else:
        text = f"{step} (not in the workflow){where}"
    return text + (f", {detail}" if detail and cases is not None else "")


def _find_deviations(model: Any, traces: list[tuple], counts: np.ndarray, per_variant: list,
                     method: str) -> tuple[dict[tuple, list[tuple[int, int]]],
                                           dict[tuple, dict[str, int]], list[list[str]]]:
    """Per kind of deviation the variants where it happens, each with the event position
    of its first occurrence; the cases per detail; the short forms per variant (a loop
    with its length: "T06 → T07-1 repeated ×4")."""
    total = int(counts.sum())
    model_steps = {t.label for t in model.net.transitions if t.label is not None}
    found: dict[tuple, list[tuple[int, int]]] = {}     # key -> [(variant, event position)]
    details: dict[tuple, dict[str, int]] = {}          # key -> detail -> cases
    per_variant_text: list[list[str]] = [[] for _ in traces]
    for v, (trace, r) in enumerate(zip(traces, per_variant, strict=True)):
        if r is None:
            continue
        if method == "alignments":
            occ = _occurrences(trace, r[2], model_steps)
        else:
            occ = _token_occurrences(trace, r)
        for key, pos, detail in occ:
            if detail is not None:
                table = details.setdefault(key, {})
                table[detail] = table.get(detail, 0) + int(counts[v])
            if any(w[0] == v for w in found.get(key, ())):
                continue
            found.setdefault(key, []).append((v, pos))
            if key[0] == "repeated":
                per_variant_text[v].append(f"{detail.replace(' ×', ' repeated ×')}")
                continue
            short = (key[0], key[1], detail if key[0] == "order" else key[2])
            per_variant_text[v].append(_phrase(short, None, total))
    return found, details, per_variant_text


def _deviations(found: dict[tuple, list[tuple[int, int]]], details: dict[tuple, dict[str, int]],
                units: dict[tuple, dict[str, int]], counts: np.ndarray, total: int,
                examples: list[str] | None = None) -> list[Deviation]:
    """One row per kind: its cases, share, units where most, and an example case (the
    first case of the kind's most frequent variant)."""
    devs: list[Deviation] = []
    for key, where in found.items():
        variants = [v for v, _ in where]
        n = int(counts[variants].sum())
        kind, step, _ = key
        seen = details.get(key, {})
        other = _most_detail(seen) if kind in ("order", "repeated") else None
        detail = _detail(key, seen, other)
        if kind == "repeated" and other:
            other = other.rsplit(" ×", 1)[0]
        shown = (kind, step, other if kind in ("order", "repeated") else key[2])
        example = examples[max(variants, key=lambda v: (counts[v], -v))] if examples else None
        devs.append(Deviation(kind, step, other if kind == "order" else None, n, n / total,
                              _phrase(shown, n, total, detail), _most(units.get(key, {})), detail,
                              _phrase((kind, step, None if kind == "repeated" else shown[2]), None, total),
                              example))
    return devs


def _most_detail(details: dict[str, int]) -> str | None:
    return max(details.items(), key=lambda kv: (kv[1], kv[0]))[0] if details else None


def _detail(key: tuple, details: dict[str, int], top: str | None = None) -> str | None:
    if not details:
        return None
    kind = key[0]
    if kind == "repeated":
        times = {d: int(d.rsplit("×", 1)[1]) for d in details}
        many = sum(n for d, n in details.items() if times[d] >= 3)
        # the other loops back to the same step, by the steps in between
        loops = sorted({d.rsplit(" ×", 1)[0].partition(" → ")[2] for d in details}
                       - {top.rsplit(" ×", 1)[0].partition(" → ")[2] if top else ""} - {""})
        parts = [f"3+ times in {many:,} cases" if many else "",
                 f"up to ×{max(times.values())}" if max(times.values()) > 3 else "",
                 ("also via " + "; ".join(loops[:2]) + (f" (+{len(loops) - 2})" if len(loops) > 2 else ""))
                 if loops else ""]
        return ", ".join(p for p in parts if p) or None
    if kind == "order":
        rest = sorted((d for d in details if d != top), key=lambda d: -details[d])
        return ("also before " + ", ".join(rest[:3]) + (" …" if len(rest) > 3 else "")) if rest else None
    text, n = max(details.items(), key=lambda kv: (kv[1], kv[0]))
    return f"mostly {text}" if len(details) > 1 else text


def _same_unit(rules: list[Any], facts: _EventFacts, total: int) -> list[tuple[Deviation, pd.Index]]:
    """The ping-pong deviation of each ``distinct_units`` path, with the cases."""
    out = []
    for path, returned in zip(rules, facts.returned, strict=True):
        if not returned:
            continue
        per_case = pd.concat(returned)
        units: dict[str, int] = {}
        _tally(units, per_case)
        n = len(per_case)
        key = ("same_unit", path.target, None)
        out.append((Deviation("same_unit", path.target, None, n, n / total, _phrase(key, n, total),
                              _most(units), f"path {path}", _phrase(key, None, total),
                              str(per_case.index[0])), per_case.index))
    return out


def _case_table(of_case: pd.Series, table: pd.DataFrame, same_unit: list[tuple[Deviation, pd.Index]],
                total: int) -> pd.DataFrame:
    v = of_case.to_numpy()
    out = pd.DataFrame({
        "case": of_case.index.to_numpy(),
        "variant": v,
        "fitness": table["fitness"].to_numpy()[v],
        "conforming": table["conforming"].to_numpy()[v],
        "deviations": table["deviations"].to_numpy(dtype=object)[v],
    })
    for dev, cases in same_unit:
        mask = out["case"].isin(cases).to_numpy()
        if mask.any():
            extra = _phrase(("same_unit", dev.step, None), None, total)
            out.loc[mask, "deviations"] = [f"{d}; {extra}" if d else extra
                                           for d in out.loc[mask, "deviations"]]
            out.loc[mask, "conforming"] = False
    return out


#: the case attributes the per-case table carries, from the engine's case table
_CASE_FACTS = ("category", "source", "start", "end", "duration")


def _with_case_facts(table: pd.DataFrame, facts: pd.DataFrame, case_units: list[pd.Series] | None,
                     trails: list[str]) -> pd.DataFrame:
    """The per-case table with what an auditor needs beside each verdict: the case's
    trail (its steps, loops collapsed), category, source, the units it passed, start,
    end and duration (seconds, raw: files for people format them)."""
    out = table.copy()
    out.insert(out.columns.get_loc("deviations") + 1, "trail",
               np.asarray(trails, dtype=object)[out["variant"].to_numpy()])
    keyed = facts.set_index(facts["case"].astype(str))
    case = out["case"].astype(str)
    for column in _CASE_FACTS:
        if column in keyed.columns:
            values = keyed[column].reindex(case)
            if hasattr(values, "dt") and column in ("start", "end"):
                values = values.dt.as_unit("ns")     # every engine gives the same table
            out[column] = values.to_numpy() if column not in ("start", "end") else values.reset_index(drop=True)
    if case_units:
        units = pd.concat(case_units)
        units.index = units.index.astype(str)
        out.insert(out.columns.get_loc("trail") + 1, "units", units.reindex(case).fillna("").to_numpy())
    return out
