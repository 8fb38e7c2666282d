"""The state space of a bounded Petri net: :func:`reachability` lists the markings
reachable from the initial one, and the :class:`ReachabilityGraph` tells whether
the end is reachable, which steps can happen and whether every run can still
finish (the net is sound).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from procmine.errors import SpecError
from procmine.limits import MAX_NET_TRANSITIONS, MAX_STATE_CHECKS


@dataclass
class ReachabilityGraph:
    """The reachable markings of a bounded net: ``markings`` (tuples of token counts
    per place index), ``edges`` as (source, transition index, target)."""

    places: list[Any]
    transitions: list[Any]
    markings: list[tuple[int, ...]]
    edges: list[tuple[int, int, int]]
    index: dict[tuple[int, ...], int]

    def vector(self, marking: Any) -> tuple[int, ...]:
        pos = {id(p): i for i, p in enumerate(self.places)}
        v = [0] * len(self.places)
        for p, n in marking.items():
            v[pos[id(p)]] = n
        return tuple(v)

    def final_index(self, marking: Any) -> int | None:
        return self.index.get(self.vector(marking))

    def fired_labels(self) -> set[str]:
        return {self.transitions[t].label for _, t, _ in self.edges if self.transitions[t].label}

    def can_finish(self, final: Any) -> bool:
        """True when the final marking stays reachable from every reachable marking."""
        target = self.final_index(final)
        if target is None:
            return False
        back: dict[int, list[int]] = {}
        for s, _, d in self.edges:
            back.setdefault(d, []).append(s)
        seen, todo = {target}, [target]
        while todo:
            for s in back.get(todo.pop(), ()):
                if s not in seen:
                    seen.add(s)
                    todo.append(s)
        return len(seen) == len(self.markings)


def check_net_size(net: Any, source: str) -> None:
    """Refuse a Petri net with more than :data:`~procmine.limits.MAX_NET_TRANSITIONS`
    transitions before its states are explored."""
    if len(net.transitions) > MAX_NET_TRANSITIONS:
        raise SpecError(f"{source}: the model has {len(net.transitions):,} transitions, more than "
                        f"the {MAX_NET_TRANSITIONS:,} procmine checks",
                        hint="a city workflow has tens of steps; split or simplify the model")


def reachability(net: Any, initial: Any, *, limit: int = 20_000) -> ReachabilityGraph | None:
    """All markings reachable from ``initial``, or None when there are more than ``limit``
    (an unbounded net, or a model with much parallelism)."""
    budget = MAX_STATE_CHECKS
    places = sorted(net.places, key=lambda p: str(p.name))
    transitions = sorted(net.transitions, key=lambda t: str(t.name))
    pos = {id(p): i for i, p in enumerate(places)}
    pre = [[(pos[id(a.source)], a.weight) for a in t.in_arcs] for t in transitions]
    post = [[(pos[id(a.target)], a.weight) for a in t.out_arcs] for t in transitions]
    start = [0] * len(places)
    for p, n in initial.items():
        start[pos[id(p)]] = n
    first = tuple(start)
    index = {first: 0}
    markings = [first]
    edges: list[tuple[int, int, int]] = []
    todo = [0]
    while todo:
        i = todo.pop()
        m = markings[i]
        budget -= len(transitions)
        if budget < 0:  # a large net with much parallelism: minutes of work, not proven
            return None
        for t in range(len(transitions)):
            if all(m[p] >= w for p, w in pre[t]):
                nxt = list(m)
                for p, w in pre[t]:
                    nxt[p] -= w
                for p, w in post[t]:
                    nxt[p] += w
                key = tuple(nxt)
                j = index.get(key)
                if j is None:
                    if len(markings) >= limit:
                        return None
                    j = index[key] = len(markings)
                    markings.append(key)
                    todo.append(j)
                edges.append((i, t, j))
    return ReachabilityGraph(places, transitions, markings, edges, index)
