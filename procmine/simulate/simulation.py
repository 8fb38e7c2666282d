"""The simulator itself: one run over all cases at once, stage by stage, with numpy.

``_Simulation`` draws the sources, categories and report times, decides which
case gets which pattern and which ordinary exception path (``_flags``), picks
the units (``_units``), lays out every case as a row of possible steps in a
``_Plan`` and times them (``_steps``): working-time gaps, FIFO queues at the
handling units (``_lindley``), the handling phase, the deadline window with the
hugging band, then clock time from the calendar. The result is a ``_Built``:
events as integer codes and the truth per case, which
``procmine.simulate.tables`` turns into DataFrames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from procmine.calendar import DAY, WorkingCalendar
from procmine.simulate import governance as gov
from procmine.simulate.model import (
    _CODE,
    _KEYS,
    _MIX,
    _ROLE_CODE,
    BASE_RATES,
    BOTTLENECK_UNIT,
    CATEGORIES,
    COMMUNITIES,
    GRIDS,
    GRIDS_PER_COMMUNITY,
    PATTERNS,
    SOURCES,
    UNITS,
)
from procmine.simulate.options import Reform
from procmine.simulate.plan import _lindley, _lognormal, _pick, _Plan

#: Band limits kept clear of the definitions' thresholds, so rounding never flips a flag.
_HUG_BAND = (0.92, 0.99)        # injected: share of the window used at the final closure
_HUG_CLEAR = (0.85, 1.03)       # every other case stays outside this range
_DESK_SECONDS = (30.0, 240.0)   # injected desk checks: seconds after the feedback
_CHECK_MIN = 1800.0             # other checks: 30 min after the feedback (>= 15 min once compressed)


@dataclass
class _Built:
    n: int
    roles: np.ndarray          # per event
    units: np.ndarray          # per event (unit code)
    times: np.ndarray          # per event, local seconds (int64)
    case_of_event: np.ndarray  # per event, case index
    category: np.ndarray       # per case (index into CATEGORIES)
    source: np.ndarray         # per case (index into SOURCES)
    deadline: np.ndarray       # per case, local seconds (int64)
    truth: dict[str, np.ndarray] = field(default_factory=dict)
    reformed: np.ndarray | None = None   # per case, True when reported on/after the reform date


class _Simulation:
    """One run; methods are the stages, in order, each vectorised over all cases."""

    def __init__(self, n: int, seed: int, first_day: pd.Timestamp, rates: dict[str, float],
                 per_day: float, cal: WorkingCalendar, reform: Reform | None = None):
        self.n, self.rates, self.per_day, self.cal = n, rates, per_day, cal
        self.reform = reform
        self.rng = np.random.default_rng(seed)
        self.gov_rng = np.random.default_rng([seed, 24])   # issue 24's effects: a stream of their own
        self.first_day = first_day
        self.day0 = int(first_day.value // (DAY * 10**9))
        self.days = max(1, math.ceil(n / per_day))

    # -- who and what -------------------------------------------------------
    def run(self) -> _Built:
        rng, n = self.rng, self.n
        src_keys, cat_keys = list(SOURCES), list(CATEGORIES)
        shares = np.array([SOURCES[k].share for k in src_keys])
        self.source = rng.choice(len(src_keys), size=n, p=shares / shares.sum())
        self.category = np.zeros(n, dtype=np.int64)
        u = rng.random(n)
        for s, key in enumerate(src_keys):
            weights = np.array([_MIX[key].get(c, 0.0) for c in cat_keys])
            cum = np.cumsum(weights / weights.sum())
            sel = self.source == s
            self.category[sel] = np.minimum(np.searchsorted(cum, u[sel], side="right"),
                                            len(cat_keys) - 1)
        self.grid = rng.integers(0, GRIDS, n)
        self.community = np.where(self.source == src_keys.index("grid"),
                                  self.grid // GRIDS_PER_COMMUNITY, rng.integers(0, COMMUNITIES, n))
        self.timeline = self._timeline(self.days + 60)
        self.report = self._report_times()
        order = np.argsort(self.report, kind="stable")
        for name in ("source", "category", "grid", "community", "report"):
            setattr(self, name, getattr(self, name)[order])
        self.allowed = np.array([CATEGORIES[k].deadline_seconds(self.cal) for k in cat_keys])[self.category]
        self.after = None
        if self.reform is not None:
            # report times are local wall-clock seconds, like the reform date
            moment = pd.Timestamp(self.reform.date)
            if moment.tzinfo is not None:
                moment = moment.tz_convert(self.cal.timezone).tz_localize(None)
            self.after = self.report >= moment.value / 1e9
        self._flags()
        self._units()
        return self._steps()

    def _rate(self, name: str) -> Any:
        """A rate: the run's number, or per case (before/after the reform) with a reform.

        Without a reform this is the plain number, so the arithmetic (and the log) is
        exactly what it was before reforms existed.
        """
        if self.after is None or name not in self.reform.rates:
            return self.rates[name]
        return np.where(self.after, self.reform.rates[name], self.rates[name])

    def _service_factor(self, units: np.ndarray) -> np.ndarray | None:
        """Per case (row) and unit code: the reform's service factor (None without one)."""
        if self.after is None or not self.reform.service:
            return None
        table = np.ones(len(_KEYS))
        for key, factor in self.reform.service.items():
            table[_CODE[key]] = factor
        after = self.after if units.ndim == 1 else self.after[:, None]
        return np.where(after, table[units], 1.0)

    def _report_times(self) -> np.ndarray:
        """Local report times (float s): grid patrols in office hours, the rest by hour of week."""
        rng, n, tl = self.rng, self.n, self.timeline
        begin = float(self.day0 * DAY)
        end = begin + self.days * DAY
        lo, hi = tl.position(np.array([begin, end]))
        uniform = rng.random(n)
        grid_time = tl.clock(lo + uniform * (hi - lo)) if hi > lo else begin + uniform * (end - begin)
        # other channels: weekday and hour-of-day weights; fewer reports on days off
        working = tl.working[self.day0 - tl.first_day:self.day0 - tl.first_day + self.days]
        weekday = (np.arange(self.days) + self.day0 + 3) % 7          # 1970-01-01 was a Thursday
        day_w = np.where(working, np.where(weekday == 0, 1.15, 1.0), 0.65)
        hour_w = np.array([.1, .1, .1, .1, .1, .1, .2, .4, 1, 1.6, 1.6, 1.6, 1, 1.2, 1.5, 1.5, 1.5,
                           1.1, .8, .8, .8, .5, .5, .2])
        video_w = np.array([.3] * 6 + [1.0] * 17 + [.4])
        keys = list(SOURCES)
        out = np.where(self.source == keys.index("grid"), grid_time, 0.0)
        video = self.source == keys.index("video")
        people = ~video & (self.source != keys.index("grid"))
        for sel, weights in ((video, video_w), (people, hour_w)):
            if not sel.any():
                continue
            p = np.outer(day_w, weights).ravel()
            slot = rng.choice(len(p), size=int(sel.sum()), p=p / p.sum())
            out[sel] = begin + slot * 3600.0 + rng.random(int(sel.sum())) * 3600.0
        return np.round(out)

    def _flags(self) -> None:
        """Which case gets which pattern and which ordinary exception path."""
        rng, n, r = self.rng, self.n, self._rate
        draw = {p: rng.random(n) for p in (*PATTERNS, *BASE_RATES)}
        self.rt = draw["escalation"] < r("escalation")
        self.pp = draw["pingpong"] < r("pingpong")
        self.dd = draw["dumping"] < r("dumping")
        self.rw = draw["rework"] < r("rework")
        self.ro = draw["reopen"] < r("reopen")
        self.desk = draw["desk"] < r("desk")
        self.hug_draw = draw["hugging"]            # decided once times are known
        b = BASE_RATES
        self.single = ~self.pp & ~self.dd & (draw["single_return"] < b["single_return"])
        self.double = (~self.pp & ~self.dd & ~self.single
                       & (draw["double_return"] < b["double_return"] / (1 - b["single_return"])))
        dd_double = self.dd & ~self.pp & (rng.random(n) < 0.3)
        self.double |= dd_double
        self.single |= self.dd & ~self.pp & ~dd_double
        esc = draw["escalation_handled"]
        self.esc_handled = ~self.rt & (esc < b["escalation_handled"])
        self.esc_redirected = ~self.rt & ~self.esc_handled & (
            esc >= 1 - b["escalation_redirected"])
        self.rt_levels = np.where(rng.random(n) < 0.3, 2, 1) * self.rt
        self.rework_twice = self.rw & (rng.random(n) < 0.25)
        self.dissatisfied_only = ~self.ro & (draw["dissatisfied_only"] < b["dissatisfied_only"])
        self.urge_draw, self.supervise_draw = draw["urge"], draw["supervise"]
        self.extension_draw, self.park = draw["extension"], draw["park"] < b["park"]
        verify_p = np.array([0.0, 0.7, 0.5, 0.7])   # grid, hotline, video, other
        self.verify = rng.random(n) < verify_p[self.source]
        self.callback = (np.isin(self.source, [1, 3]) | self.ro | self.dissatisfied_only)

    def _units(self) -> None:
        """The final unit F, the units that return before it, and the escalation chain."""
        rng, n = self.rng, self.n
        cat_keys = list(CATEGORIES)
        community = np.array([_CODE[f"community{i}"] for i in range(COMMUNITIES)])[self.community]
        # F: the category's handler; block only where the case is dumped down to a block unit
        need_block = self.dd
        f = np.zeros(n, dtype=np.int64)
        u = rng.random(n)
        for c, key in enumerate(cat_keys):
            for only_block in (False, True):
                sel = (self.category == c) & (need_block == only_block)
                if not sel.any():
                    continue
                handlers = [(h, w) for h, w in CATEGORIES[key].handlers
                            if not only_block or h == "community" or UNITS[h].kind == "block"]
                weights = np.array([w for _, w in handlers])
                cum = np.cumsum(weights / weights.sum())
                choice = np.minimum(np.searchsorted(cum, u[sel], side="right"), len(handlers) - 1)
                codes = np.array([-1 if h == "community" else _CODE[h] for h, _ in handlers])[choice]
                f[sel] = np.where(codes < 0, community[sel], codes)
        kind = np.array([UNITS[k].kind == "line" for k in _KEYS])          # True: line
        line_pool = np.array([_CODE[k] for k in ("enforcement", "market", "police", "housing",
                                                 "greening", "water", "roads")])
        block_pool = np.array([_CODE[k] for k in ("street_admin", "street_safety", "street_self")]
                              + [_CODE[f"community{i}"] for i in range(COMMUNITIES)])
        any_pool = np.concatenate((line_pool, block_pool))
        f_line = kind[f]
        # returners: a block final unit only takes returns from block units, unless dumped down
        first_pool = np.where(self.dd, 0, np.where(f_line, 2, 1))          # 0 line, 1 block, 2 any
        pools = (line_pool, block_pool, any_pool)
        a1 = np.full(n, -1)
        a2 = np.full(n, -1)
        for p, pool in enumerate(pools):
            sel = first_pool == p
            a1[sel] = _pick(rng, pool, int(sel.sum()), [f[sel]])
            a2[sel] = _pick(rng, pool, int(sel.sum()), [f[sel], a1[sel]])
        # ping-pong: A = F returns, B returns, back to A; B is line only when dumped down
        b_pool = np.where(self.dd, 0, np.where(f_line, 2, 1))
        b = np.full(n, -1)
        for p, pool in enumerate(pools):
            sel = self.pp & (b_pool == p)
            b[sel] = _pick(rng, pool, int(sel.sum()), [f[sel]])
        self.first = np.where(self.pp, f, np.where(self.single | self.double, a1, f))
        self.second = np.where(self.pp, b, np.where(self.double, a2, -1))
        self.f = f
        parent = np.array([_CODE[UNITS[k].parent] if UNITS[k].parent else -1 for k in _KEYS])
        self.h1 = parent[f]
        self.h2 = np.where(self.rt_levels == 2, parent[np.maximum(self.h1, 0)], -1)
        # redirected escalation: assigned down to another unit of F's kind
        v = np.full(n, -1)
        for p, pool in ((0, line_pool), (1, block_pool)):
            sel = self.esc_redirected & (f_line == (p == 0))
            v[sel] = _pick(rng, pool, int(sel.sum()), [f[sel]])
        self.v = v
        self.handler = np.where(self.esc_handled, self.h1, np.where(self.esc_redirected, v, f))
        self.line_returner = np.where(self.pp, np.where(self.dd, b, -1),
                                      np.where(self.dd, a1, -1))

    # -- steps and times ----------------------------------------------------
    def _steps(self) -> _Built:
        rng, n, W = self.rng, self.n, self.allowed
        centre, district = _CODE["centre"], _CODE["district_centre"]
        hotline = _CODE["hotline"]
        src = self.source
        # sources in SOURCES order: 0 grid, 1 hotline, 2 video, 3 other
        reporter = np.where(src == 0, np.array([_CODE[f"grid{g:02d}"] for g in range(GRIDS)])[self.grid],
                            np.where(src == 1, hotline, centre))
        P = _Plan(n)

        def ln(median: Any, lo: float, hi: Any = 20 * DAY, sigma: float = 0.6) -> np.ndarray:
            return _lognormal(rng, np.broadcast_to(np.asarray(median, dtype=float), (n,)), sigma, lo, hi)

        P.add("report", reporter, 0.0)
        P.add("accept", centre, ln(np.where(src == 1, 1800, 900), 120, 4 * 3600))
        P.add("verify", centre, ln(2700, 600, 6 * 3600), self.verify)
        P.add("register", centre, ln(900, 120, 3 * 3600))
        c_dispatch = P.add("dispatch", centre, ln(600, 60, 2 * 3600))
        chain1 = self.single | self.double | self.pp
        chain2 = self.double | self.pp
        P.add("return", self.first, ln(0.08 * W, 600, 2 * DAY), chain1)
        P.add("redispatch", centre, ln(0.03 * W, 300, 4 * 3600), chain1)
        P.add("return", self.second, ln(0.08 * W, 600, 2 * DAY), chain2)
        P.add("redispatch", centre, ln(0.03 * W, 300, 4 * 3600), chain2)
        P.add("sign", self.f, ln(0.04 * W, 180, 1 * DAY))
        escalated = self.rt | self.esc_handled | self.esc_redirected
        P.add("escalate", self.f, ln(0.08 * W, 600, 3 * DAY), escalated)
        P.add("sign", self.h1, ln(0.04 * W, 300, 1 * DAY), escalated)
        P.add("escalate", self.h1, ln(0.08 * W, 600, 3 * DAY), self.rt_levels == 2)
        P.add("sign", self.h2, ln(0.04 * W, 300, 1 * DAY), self.rt_levels == 2)
        top = np.where(self.rt_levels == 2, self.h2, self.h1)
        down = self.rt | self.esc_redirected
        P.add("assign_down", top, ln(0.12 * W, 1800, 5 * DAY), down)
        P.add("sign", np.where(self.rt, self.f, self.v), ln(0.04 * W, 300, 1 * DAY), down)
        # the handling phase: its length is known only after queueing
        X = self.handler
        phase = {
            "extension_request": P.add("extension_request", X, 0.0, False),
            "extension_grant": P.add("extension_grant", centre, 0.0, False),
            "urge": P.add("urge", centre, 0.0, False),
            "supervise": P.add("supervise", district, 0.0, False),
            "park": P.add("park", centre, 0.0, self.park),
        }
        c_handle = P.add("handle", X, 0.0)
        extra, extra_gaps = gov.platform_steps(self.gov_rng, X, self.rates.get("platform_burden", 0.0))
        for k in range(gov.MAX_EXTRA):      # a burdened unit's forms, photos and approvals
            P.add(gov.EXTRA_ROLES[k % len(gov.EXTRA_ROLES)], X, extra_gaps[:, k], extra > k)
        P.add("feedback", X, ln(0.03 * W, 360, 4 * 3600))

        def check_gap() -> np.ndarray:
            return ln(np.clip(0.06 * W, _CHECK_MIN, 3 * 3600), _CHECK_MIN, 8 * 3600, 0.4)

        for mask in (self.rw, self.rework_twice):
            P.add("check_failed", centre, check_gap(), mask)
            P.add("handle", X, ln(0.1 * W, 1200, 3 * DAY), mask)
            P.add("feedback", X, ln(0.03 * W, 360, 4 * 3600), mask)
        desk_gap = rng.uniform(*_DESK_SECONDS, n)
        c_check = P.add("check", centre, np.where(self.desk, desk_gap, check_gap()))
        c_close = P.add("close", centre, ln(np.minimum(900, 0.03 * W), 120, 2 * 3600))
        callback_unit = np.where(src == 1, hotline, centre)
        day = float(self.cal.day_seconds)
        P.add("callback", callback_unit, rng.uniform(0.5, 1.5, n) * day, self.callback)
        P.add("dissatisfied", callback_unit, rng.uniform(120, 900, n), self.ro | self.dissatisfied_only)
        P.add("reopen", centre, ln(3600, 600, 1 * DAY), self.ro)
        P.add("sign", X, ln(0.04 * W, 300, 1 * DAY), self.ro)
        P.add("handle", X, ln(0.15 * W, 1200, 5 * DAY), self.ro)
        P.add("feedback", X, ln(0.03 * W, 360, 4 * 3600), self.ro)
        c_check2 = P.add("check", centre, check_gap(), self.ro)
        c_close2 = P.add("close", centre, ln(np.minimum(900, 0.03 * W), 120, 2 * 3600), self.ro)
        P.add("callback", callback_unit, rng.uniform(0.5, 1.5, n) * day, self.ro)

        role = np.array(P.roles)
        units = np.stack(P.units, axis=1)
        gaps = np.stack(P.gaps, axis=1)
        mask = np.stack(P.masks, axis=1)
        # the bottleneck unit is slow at everything it does: signing, returning, reporting back
        own = np.isin(role, [_ROLE_CODE[r] for r in ("sign", "return", "feedback")])[None, :]
        slowdown = self._rate("bottleneck_slowdown")
        if np.ndim(slowdown):
            slowdown = slowdown[:, None]
        gaps = np.where(own & (units == _CODE[BOTTLENECK_UNIT]), gaps * slowdown, gaps)
        upward = gov.upward_mask(units, role == _ROLE_CODE["sign"], src == 1) & mask
        citizen_slowdown = self.rates.get("citizen_slowdown", 1.0)
        gaps = np.where(upward, gaps * citizen_slowdown, gaps)
        self.gov_truth = [upward.any(axis=1) & (citizen_slowdown != 1), extra]
        factor = self._service_factor(units)
        if factor is not None:      # the reform: a unit signs, returns and reports back faster
            gaps = np.where(own, gaps * factor, gaps)
        start_pos = self.timeline.position(self.report)
        pos = start_pos[:, None] + np.cumsum(np.where(mask, gaps, 0.0), axis=1)

        # queueing at the handling unit: arrival = the last step before the handling phase
        arrival = pos[:, phase["extension_request"] - 1]
        slow = np.array([UNITS[k].speed for k in _KEYS])[X]
        slow = slow * np.where(X == _CODE[BOTTLENECK_UNIT], self._rate("bottleneck_slowdown"), 1.0)
        staffing = _lognormal(rng, 0.12 * W * slow, 0.6, 600, 4 * W * slow)
        service = staffing
        factor = self._service_factor(X)
        if factor is not None:      # the reform: the unit handles faster with the same staff
            service = np.maximum(staffing * factor, 60.0)
        wait = self._queue(X, arrival, service, staffing)
        d0 = wait + service
        added, overloaded, capacity = gov.overload_extra(X, arrival, d0,
                                                         self.rates.get("overload_slowdown", 0.0))
        d0 = d0 + added
        self.gov_truth += [overloaded, capacity]
        # the handling phase: steps at fixed shares of it, the handling at its end
        self.extension = (self.extension_draw < np.where(d0 > 0.9 * W, 0.6, 0.01))
        ext_amount = np.where(self.extension, np.round(rng.uniform(0.5, 1.0, n) * W / 3600) * 3600, 0.0)
        urge = self.urge_draw < np.where(d0 > 0.6 * W, 0.35, 0.04)
        supervise = self.supervise_draw < np.where(d0 > W, 0.15, 0.01)
        parked = np.where(self.park, np.round(rng.uniform(10, 40, n) * day / 3600) * 3600, 0.0)
        share = {"extension_request": 0.2, "extension_grant": 0.25, "urge": 0.5, "supervise": 0.6,
                 "park": 0.7}
        present = {"extension_request": self.extension, "extension_grant": self.extension,
                   "urge": urge, "supervise": supervise, "park": self.park}
        last = np.zeros(n)
        for name, col in phase.items():
            mask[:, col] = present[name]
            gaps[:, col] = (share[name] - last) * d0
            last = np.where(present[name], share[name], last)
        gaps[:, c_handle] = (1.0 - last) * d0 + parked
        pos = start_pos[:, None] + np.cumsum(np.where(mask, gaps, 0.0), axis=1)

        # the window: from the first dispatch, the category's time plus extension and parked time
        window = W + ext_amount + parked
        begin = pos[:, c_dispatch]
        final_close = np.where(self.ro, c_close2, c_close)
        final_check = np.where(self.ro, c_check2, c_check)
        rows = np.arange(n)
        prev_rel = (pos[rows, final_check] - begin) / window
        close_rel = (pos[rows, final_close] - begin) / window
        eligible = ~self.ro & (prev_rel <= _HUG_CLEAR[0])
        share_eligible = max(float(eligible.mean()), 1e-9)
        self.hug = eligible & (self.hug_draw < np.minimum(1.0, self._rate("hugging")
                                                          / share_eligible))
        target = np.where(self.hug, rng.uniform(*_HUG_BAND, n), close_rel)
        # any other case closing near the end of its window is either compressed (the whole
        # handling runs faster, closing at 60-84% of the window) or closes late (103-140%)
        inside = ~self.hug & (close_rel >= _HUG_CLEAR[0]) & (close_rel <= _HUG_CLEAR[1])
        compress = inside & (rng.random(n) < 0.7)
        late = inside & ~compress
        target = np.where(late, _HUG_CLEAR[1] + rng.uniform(0.0, 0.37, n), target)
        target = np.where(compress, rng.uniform(0.6, _HUG_CLEAR[0] - 0.01, n), target)
        col = np.arange(pos.shape[1])[None, :]
        factor = np.where(compress, target / close_rel, 1.0)[:, None]
        during = (col > c_dispatch) & (col <= final_close[:, None])
        pos = np.where(during, begin[:, None] + (pos - begin[:, None]) * factor, pos)
        moved = pos[rows, final_close] - begin
        shift = target * window - moved        # the closure's own move (hugging, late)
        pos = pos + np.where(col >= final_close[:, None], shift[:, None], 0.0)

        # clock times; desk checks that would straddle a break move back before it
        tl = self._cover(max(float(pos.max()), float((begin + window).max())) + DAY)
        clock = tl.clock(pos.ravel()).reshape(pos.shape)
        fb_col = np.where(mask[:, :c_check], np.arange(c_check)[None, :], -1).max(axis=1)
        straddle = self.desk & (clock[:, c_check] - clock[rows, fb_col] > gaps[:, c_check] + 1)
        if straddle.any():
            back = gaps[straddle, c_check] + 60.0
            for col in (fb_col[straddle], np.full(int(straddle.sum()), c_check)):
                pos[straddle, col] -= back
                clock[straddle, col] = tl.clock(pos[straddle, col])
        clock[:, 0] = self.report
        times = np.round(clock).astype(np.int64)
        # the due time from the dispatch time as written (whole seconds), as a reader computes it
        deadline = tl.clock(tl.position(times[:, c_dispatch].astype(float)) + window)

        flat = mask.ravel()
        case_of_event = np.repeat(rows, mask.shape[1])[flat]
        built = _Built(n=n, roles=np.broadcast_to(role, mask.shape).ravel()[flat],
                       units=units.ravel()[flat], times=times.ravel()[flat],
                       case_of_event=case_of_event, category=self.category, source=self.source,
                       deadline=np.round(deadline).astype(np.int64))
        # the share of the window used, from the rounded times as a reader will see them
        t0 = tl.position(times[:, c_dispatch].astype(float))
        used = ((tl.position(times[rows, final_close].astype(float)) - t0)
                / (tl.position(np.round(deadline)) - t0))
        built.truth = self._truth(ext_amount + parked, used, clock[:, c_check] - clock[rows, fb_col])
        built.reformed = self.after
        return built

    def _timeline(self, days: int):
        return self.cal.timeline((self.first_day - pd.Timedelta(days=2)).date(),
                                 (self.first_day + pd.Timedelta(days=days)).date())

    def _cover(self, max_position: float):
        """The timeline, extended until it covers ``max_position`` (same first day)."""
        days = self.days + 60
        while self.timeline.cumulative[-1] < max_position + DAY:
            days *= 2
            self.timeline = self._timeline(days)
        return self.timeline

    def _queue(self, unit: np.ndarray, arrival: np.ndarray, service: np.ndarray,
               staffing: np.ndarray) -> np.ndarray:
        """FIFO waits per unit; a unit serves as many at once as keeps it about 60% busy.

        Staff (servers) are set from ``staffing``, the service times without a reform,
        so a reform that speeds a unit up shortens its queue instead of its staff.
        """
        wait = np.zeros(self.n)
        span = max(float(arrival.max() - arrival.min()), 3600.0)
        order = np.lexsort((arrival, unit))
        u_sorted = unit[order]
        cuts = np.flatnonzero(np.diff(u_sorted)) + 1
        for idx in np.split(order, cuts):
            code = unit[idx[0]]
            busy = 0.85 if code == _CODE[BOTTLENECK_UNIT] else 0.6
            servers = max(1, math.ceil(len(idx) / span * staffing[idx].mean() / busy))
            wait[idx] = _lindley(arrival[idx], service[idx] / servers)
        return wait

    def _truth(self, extra: np.ndarray, used: np.ndarray, desk_seconds: np.ndarray) -> dict[str, np.ndarray]:
        n = self.n
        none = np.full(n, -1)
        levels = np.array([UNITS[k].level for k in _KEYS] + [""], dtype=object)
        top = np.where(self.rt_levels == 2, self.h2, np.where(self.rt, self.h1, -1))
        effects = gov.truth_columns(*self.gov_truth) if gov.enabled(self.rates) else {}
        return effects | {
            "escalation": self.rt,
            "escalation_unit": np.where(self.rt, self.f, none),
            "escalation_from_level": levels[np.where(self.rt, self.f, -1)],
            "escalation_to_level": levels[top],
            "escalation_levels": self.rt_levels,
            "pingpong": self.pp,
            "pingpong_a": np.where(self.pp, self.f, none),
            "pingpong_b": np.where(self.pp, self.second, none),
            "dumping": self.dd,
            "dumping_line_unit": np.where(self.dd, self.line_returner, none),
            "dumping_block_unit": np.where(self.dd, self.handler, none),
            "rework": self.rw,
            "rework_count": self.rw.astype(int) + self.rework_twice.astype(int),
            "reopen": self.ro,
            "hugging": self.hug,
            "window_used": used,
            "desk": self.desk,
            "desk_seconds": np.where(self.desk, desk_seconds, np.nan),
            "bottleneck": self.handler == _CODE[BOTTLENECK_UNIT],
            "handler": self.handler,
            "allowed_hours": self.allowed / 3600,
            "extra_hours": extra / 3600,
        }
