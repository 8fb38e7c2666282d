"""Token-based replay of the variants and ETConformance precision, as pm4py computes them.

``_Replayer`` runs pm4py's replay one event at a time with a memo per marking,
so shared prefixes are cheap and every variant gets pm4py's exact counts;
``replay_variants`` replays each variant and ``_replay_table`` makes the
per-variant fitness table; ``token_precision`` walks the prefix tree of the
variants with the same replayer.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy
from typing import Any

import numpy as np
import pandas as pd

from procmine.conform.parallel import _run_chunks


class _Replayer:
    """pm4py's token-based replay, one event at a time, memoised per (marking, activity).

    Each step does what pm4py's ``apply_trace`` does for one event (fire the
    transition, enabling it through silent transitions first, else add the missing
    tokens); the end of a trace is pm4py's own code run on an empty trace from the
    reached marking. So every variant gets exactly pm4py's counts.
    """

    def __init__(self, model: Any):
        from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr
        from pm4py.objects.petri_net.utils.align_utils import (
            get_visible_transitions_eventually_enabled_by_marking,
        )

        self.tr = tr
        self.model = model
        self.net = model.net
        self.trans_map = {}
        by_label: dict[str, list[Any]] = {}
        # the last of a label wins, as in pm4py; a structural order, not the names (a
        # workflow's transitions are named at random), so every run picks the same one
        for t in sorted(self.net.transitions, key=_structural_key, reverse=True):
            self.trans_map[t.label] = t
            by_label.setdefault(t.label, []).append(t)
        #: labels carried by more than one transition: replay must choose, and says so
        self.ambiguous = {label for label, ts in by_label.items() if label is not None and len(ts) > 1}
        self.paths = tr.get_places_shortest_path_by_hidden(self.net, tr.TechnicalParameters.MAX_REC_DEPTH.value)
        self.visible = get_visible_transitions_eventually_enabled_by_marking
        self.steps: dict[Any, Any] = {}
        self.ends: dict[Any, Any] = {}
        self.enabled: dict[Any, frozenset[str]] = {}

    @staticmethod
    def key(marking: Any) -> frozenset:
        return frozenset(marking.items())

    def step(self, marking: Any, activity: str, following: str | None = None
             ) -> tuple[Any, int, int, int, bool, tuple]:
        """(next marking, consumed, produced, missing, enabled without missing tokens, the
        transitions fired in pm4py's order: the silent ones that enabled it, then its own).

        When several enabled transitions carry ``activity`` (a duplicated label), the
        one after which ``following`` (the next event) can happen is fired; among
        equals, the first in a fixed structural order: the same answer every run.
        """
        if activity not in self.ambiguous:
            following = None
        memo_key = (self.key(marking), activity, following)
        hit = self.steps.get(memo_key)
        if hit is not None:
            return hit
        from pm4py.objects.petri_net import semantics

        tr, net = self.tr, self.net
        if activity not in self.trans_map:
            out = (marking, 0, 0, 0, True, ())
            self.steps[memo_key] = out
            return out
        candidates = sorted((x for x in semantics.enabled_transitions(net, marking) if x.label == activity),
                            key=_structural_key)
        t = self._choose(candidates, marking, following) if candidates else self.trans_map[activity]
        consumed = produced = missing = 0
        fired: list[Any] = []
        if not semantics.is_enabled(t, net, marking):
            _, marking, fired, _ = tr.apply_hidden_trans(t, net, copy(marking), self.paths, [], 0,
                                                         set(), [], False)
            for hidden in fired:
                consumed += tr.get_consumed_tokens(hidden)[0]
                produced += tr.get_produced_tokens(hidden)[0]
        fit = True
        if not semantics.is_enabled(t, net, marking):
            fit = False
            marking = copy(marking)
            missing += tr.add_missing_tokens(t, marking)[0]
        consumed += tr.get_consumed_tokens(t)[0]
        produced += tr.get_produced_tokens(t)[0]
        marking = semantics.execute(t, net, marking)
        out = (marking, consumed, produced, missing, fit, (*fired, t))
        self.steps[memo_key] = out
        return out

    def _choose(self, candidates: list[Any], marking: Any, following: str | None) -> Any:
        if len(candidates) == 1 or following is None:
            return candidates[0]
        from pm4py.objects.petri_net import semantics

        for t in candidates:
            if following in self.visible_enabled(semantics.execute(t, self.net, marking)):
                return t
        return candidates[0]

    def end(self, marking: Any) -> tuple[int, int, int, int, tuple]:
        """(consumed, produced, missing, remaining, silent transitions fired) of reaching
        the end from ``marking``."""
        memo_key = self.key(marking)
        hit = self.ends.get(memo_key)
        if hit is not None:
            return hit
        from pm4py.objects.log.obj import Trace

        tr = self.tr
        r = tr.apply_trace(Trace(), self.net, marking, self.model.final, self.trans_map, False, {}, {},
                           {}, self.paths, True, try_to_reach_final_marking_through_hidden=True,
                           stop_immediately_unfit=False, walk_through_hidden_trans=True,
                           post_fix_caching=tr.PostFixCaching(),
                           marking_to_activity_caching=tr.MarkingToActivityCaching())
        missing, consumed, remaining, produced = r[6], r[7], r[8], r[9]
        out = (consumed, produced - sum(marking.values()), missing, remaining, tuple(r[2]))
        self.ends[memo_key] = out
        return out

    def visible_enabled(self, marking: Any) -> frozenset[str]:
        memo_key = self.key(marking)
        hit = self.enabled.get(memo_key)
        if hit is None:
            hit = frozenset(t.label for t in self.visible(self.net, marking) if t.label is not None)
            self.enabled[memo_key] = hit
        return hit

    def replay(self, trace: tuple, *, firings: bool = False) -> dict[str, Any]:
        """pm4py's token replay of one trace (the memo makes shared prefixes cheap);
        ``firings=True`` adds the transitions fired in order (``activated``), as pm4py's
        ``activated_transitions``."""
        marking = self.model.initial
        consumed = missing = 0
        produced = sum(marking.values())
        problems: list[tuple[str, int]] = []
        activated: list[Any] = []
        for i, activity in enumerate(trace):
            following = trace[i + 1] if i + 1 < len(trace) else None
            marking, c, p, m, fit, fired = self.step(marking, activity, following)
            activated += fired
            consumed += c
            produced += p
            missing += m
            if not fit:
                problems.append((activity, i))
        c, p, m_end, remaining, fired = self.end(marking)
        activated += fired
        is_fit = missing == 0 and remaining == 0
        consumed += c
        produced += p
        missing += m_end
        if consumed > 0 and produced > 0:
            fitness = 0.5 * (1 - missing / consumed) + 0.5 * (1 - remaining / produced)
        else:
            fitness = 1.0
        return {"fit": is_fit, "fitness": fitness, "missing": missing, "consumed": consumed,
                "remaining": remaining, "produced": produced, "problems": problems,
                "not_in_model": [(a, i) for i, a in enumerate(trace) if a not in self.trans_map],
                **({"activated": activated} if firings else {})}


def _structural_key(t: Any) -> tuple:
    """A transition's place in the net: its label and the names of its places (a
    workflow's places are numbered in order, its transitions named at random)."""
    return (t.label or "", tuple(sorted(str(a.source.name) for a in t.in_arcs)),
            tuple(sorted(str(a.target.name) for a in t.out_arcs)), str(t.name))


def _replay_chunk(model: Any, traces: list[tuple]) -> list[dict[str, Any]]:
    replayer = _Replayer(model)
    return [replayer.replay(t) for t in traces]


def replay_variants(model: Any, traces: Sequence[tuple], *, jobs: int = 1) -> list[dict[str, Any]]:
    """pm4py's token-based replay of each trace: fit, fitness, missing, consumed, remaining,
    produced, and the events that fired without being enabled (``problems``).

    >>> from procmine.workflow import parse_workflow
    >>> r = replay_variants(parse_workflow("steps: [a, b]").petri_net(), [("b",)])[0]
    >>> r["fit"], r["missing"], r["remaining"]
    (False, 1, 1)
    """
    # one replay step is cheap once memoised: only very many variants pay for workers
    return _run_chunks(_replay_chunk, model, traces, jobs, weight=1 if len(traces) > 20_000 else 0)


def replay_with_firings(model: Any, traces: Sequence[tuple]) -> list[dict[str, Any]]:
    """:func:`replay_variants` in this process, each result with the transitions fired
    (``activated``, pm4py's ``activated_transitions``: the net's own objects, in order),
    for pm4py's token-based generalization.

    >>> from procmine.workflow import parse_workflow
    >>> r = replay_with_firings(parse_workflow("steps: [a, b]").petri_net(), [("a", "b")])[0]
    >>> r["fit"], [t.label for t in r["activated"] if t.label]
    (True, ['a', 'b'])
    """
    replayer = _Replayer(model)
    return [replayer.replay(t, firings=True) for t in traces]


def _replay_table(traces: Sequence[tuple], counts: np.ndarray, per_variant: list) -> pd.DataFrame:
    return pd.DataFrame({
        "variant": np.arange(len(traces)), "cases": counts,
        "activities": [" → ".join(map(str, t)) for t in traces],
        "fitness": [r["fitness"] for r in per_variant],
        "conforming": [bool(r["fit"]) for r in per_variant],
        **{k: [r[k] for r in per_variant] for k in ("missing", "consumed", "remaining", "produced")},
    })


# --------------------------------------------------------------------------- precision


def token_precision(model: Any, traces: Sequence[tuple], counts: Sequence[int]) -> float:
    """ETConformance precision by token replay of every prefix, as
    ``pm4py.precision_token_based_replay`` computes it, over the prefix tree of the traces.

    >>> from procmine.workflow import parse_workflow
    >>> model = parse_workflow("steps: [a, {one_of: [b, c]}]").petri_net()
    >>> token_precision(model, [("a", "b")], [3])
    0.6666666666666667
    """
    from procmine.conform.precision import walk_precision

    replayer = _Replayer(model)

    def step(marking: Any, activity: str) -> Any:
        """The marking after ``activity``; None when it cannot fire without missing
        tokens (the prefix's subtree is left out)."""
        marking, _, _, _, fit, _ = replayer.step(marking, activity)
        return marking if fit else None

    return walk_precision(traces, counts, model.initial, replayer.visible_enabled(model.initial),
                          step, replayer.visible_enabled)
