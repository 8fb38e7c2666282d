"""The steps of the dispatch loop: roles, their Chinese and English labels, and aliases.

Analyses reason about *roles* (escalate, return, handle ...), never about the
spelling of an activity in one export. ``role_of`` maps an activity name to its
role through a default dictionary that a workflow spec can extend.

>>> role_of("派单")
'dispatch'
>>> role_of("Check failed")
'check_failed'
>>> role_of("T02 Check confirmation of receipt") is None
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, get_args

#: role -> (Chinese label, English label). Order is the closed loop, then exceptions.
STEPS: dict[str, tuple[str, str]] = {
    "report": ("上报", "report"),
    "accept": ("受理", "accept"),
    "verify": ("核实", "verify"),
    "register": ("立案", "register"),
    "dispatch": ("派遣", "dispatch"),
    "sign": ("签收", "sign"),
    "handle": ("处置", "handle"),
    "feedback": ("反馈", "feedback"),
    "check": ("核查", "check"),
    "close": ("结案", "close"),
    "callback": ("回访", "callback"),
    "return": ("退单", "return"),
    "redispatch": ("改派", "redispatch"),
    "escalate": ("提级", "escalate"),
    "assign_down": ("下派", "assign down"),
    "extension_request": ("延期申请", "extension request"),
    "extension_grant": ("延期批准", "extension granted"),
    "urge": ("催办", "urge"),
    "supervise": ("督办", "supervise"),
    "check_failed": ("核查不通过", "check failed"),
    "dissatisfied": ("不满意", "dissatisfied"),
    "reopen": ("重办", "reopen"),
    "park": ("挂账", "park"),
    # platform work a unit does besides the loop: forms, photo evidence, internal approvals
    "fill_in": ("填报", "fill in form"),
    "upload": ("上传", "upload"),
    "review": ("审核", "review"),
}

LOOP = ("report", "accept", "verify", "register", "dispatch", "sign", "handle",
        "feedback", "check", "close", "callback")

# --------------------------------------------------------------------------- the loop patterns
# One word per governance pattern, for the detectors (procmine.loops, ``procmine loops
# --patterns``, the JSON keys of ``loops --json``), the simulator's truth columns and the report.

#: Escalated up (提级) and sent back down (下派) to the same unit, no handling above.
ESCALATION = "escalation"
#: Returned by A, returned by B, back to A (推诿).
PINGPONG = "pingpong"
#: A line unit (条) returned the order, a block unit (块) handled it.
DUMPING = "dumping"
#: Check failed (核查不通过) and handled again.
REWORK = "rework"
#: Closed, then reopened (重办).
REOPEN = "reopen"
#: Closed in the last 10% of the allowed working window.
HUGGING = "hugging"
#: Checked within minutes of the feedback (a desk check).
DESK = "desk"
#: Urged (催办) or supervised (督办).
SUPERVISION = "supervision"

#: The patterns the detectors find, in the order they are shown.
LoopPattern = Literal["escalation", "pingpong", "dumping", "rework", "reopen", "hugging", "desk",
                      "supervision"]
LOOP_PATTERNS: tuple[str, ...] = get_args(LoopPattern)
#: The patterns the simulator injects (one 0/1 truth column each, same words).
SIMULATED_PATTERNS: tuple[str, ...] = (ESCALATION, PINGPONG, DUMPING, REWORK, REOPEN, HUGGING,
                                       DESK)
#: Older spellings of the simulator's rates (still read from rates and reform files).
PATTERN_ALIASES: dict[str, str] = {
    "round_trip": ESCALATION, "ping_pong": PINGPONG, "dumping_down": DUMPING,
    "deadline_hugging": HUGGING, "desk_check": DESK,
}

#: Further spellings seen in exports (lower-cased for English).
_ALIASES: dict[str, str] = {
    "信息采集": "report", "问题上报": "report", "案件上报": "report", "reported": "report",
    "登记": "accept", "受理登记": "accept", "intake": "accept", "accepted": "accept",
    "核实上报": "verify", "verification": "verify",
    "registered": "register",
    "派单": "dispatch", "派发": "dispatch", "分派": "dispatch", "dispatched": "dispatch",
    "签收工单": "sign", "sign for": "sign", "signed": "sign", "sign-off": "sign",
    "处理": "handle", "办理": "handle", "处置完成": "handle", "handling": "handle",
    "handled": "handle", "process": "handle",
    "答复": "feedback", "回复": "feedback", "处置反馈": "feedback", "reply": "feedback",
    "核查通过": "check", "复核": "check", "checked": "check", "inspection": "check",
    "办结": "close", "结单": "close", "closed": "close", "closure": "close",
    "满意度评价": "callback", "回访评价": "callback", "call back": "callback",
    "回退": "return", "退回": "return", "returned": "return", "reject": "return",
    "重新派遣": "redispatch", "重派": "redispatch", "reassign": "redispatch",
    "re-dispatch": "redispatch",
    "提级上报": "escalate", "上报上级": "escalate", "吹哨": "escalate", "升级": "escalate",
    "escalation": "escalate", "escalated": "escalate",
    "交办": "assign_down", "下沉": "assign_down", "assign_down": "assign_down",
    "延期": "extension_request", "申请延期": "extension_request",
    "extension": "extension_request", "extension_request": "extension_request",
    "同意延期": "extension_grant", "extension_grant": "extension_grant",
    "reminder": "urge", "supervision": "supervise",
    "返工": "check_failed", "核查未通过": "check_failed", "check_failed": "check_failed",
    "rework": "check_failed",
    "评价不满意": "dissatisfied", "not satisfied": "dissatisfied",
    "重新办理": "reopen", "reopened": "reopen", "re-open": "reopen",
    "挂起": "park", "parked": "park",
    "信息填报": "fill_in", "表单填报": "fill_in", "fill in": "fill_in",
    "拍照上传": "upload", "上传照片": "upload", "照片上传": "upload", "uploaded": "upload",
    "审批": "review", "审核通过": "review", "approval": "review",
}


def check_roles(aliases: Mapping[str, str]) -> None:
    """Raise SpecError when an alias names a role that is not one of :data:`STEPS`'s (an
    unknown role would silently take the activity out of every pattern).

    >>> check_roles({"派单": "dispatch"})
    """
    from procmine.errors import SpecError

    for name, role in aliases.items():
        if role not in STEPS:
            raise SpecError(f"alias {name}={role}: unknown role {role!r}",
                            hint="known roles: " + ", ".join(STEPS))


def _build(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    if extra:
        check_roles(extra)
    table: dict[str, str] = {}
    for role, (zh, en) in STEPS.items():
        table[zh] = role
        table[en.lower()] = role
        table[role] = role
    table.update(_ALIASES)
    if extra:
        table.update({k.strip().lower(): v for k, v in extra.items()})
    return table


_DEFAULT = _build()


def role_of(activity: str, aliases: Mapping[str, str] | None = None) -> str | None:
    """The role of an activity name, or None when it is not a known step."""
    table = _build(aliases) if aliases else _DEFAULT
    return table.get(str(activity).strip().lower())


def roles_of(activities: Iterable[str], aliases: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Map each distinct activity name to its role (None when unknown)."""
    table = _build(aliases) if aliases else _DEFAULT
    return {a: table.get(str(a).strip().lower()) for a in activities}


#: Steps that follow an order up without dispatching or handling it: the call-back after
#: closure (回访), supervision (督办) and urging (催办). Escalation moves and unit wait
#: rankings leave them out by default (``include_followup=True`` keeps them).
FOLLOWUP_ROLES: tuple[str, ...] = ("callback", "supervise", "urge")


def is_followup(activities: Iterable[str], aliases: Mapping[str, str] | None = None) -> dict[str, bool]:
    """Which activity names are follow-up steps (:data:`FOLLOWUP_ROLES`), by role.

    >>> is_followup(["回访", "派遣", "督办"])
    {'回访': True, '派遣': False, '督办': True}
    """
    return {a: role in FOLLOWUP_ROLES for a, role in roles_of(activities, aliases).items()}


def label(role: str, lang: str = "zh") -> str:
    """The label of a role in ``lang`` ('zh' or 'en').

    >>> label("check", "zh"), label("check", "en")
    ('核查', 'check')
    """
    zh, en = STEPS[role]
    return zh if lang == "zh" else en


# --------------------------------------------------------------------------- the audit's words
#: The sections of ``procmine.audit.audit_log`` (and of ``procmine audit --section``).
AUDIT_SECTIONS = ("dispatch", "clocks", "repeats", "citizens", "burden", "overload")
# One spelling for the simulator's truth columns, the detectors of procmine.audit and the report.

#: The first dispatch went to a unit the responsibility list (权责清单) does not name.
MISDISPATCH = "misdispatch"
#: The unit that received the first dispatch (the first to sign, return or handle after it).
FIRST_UNIT = "first_unit"
#: Return (退单) steps before the order was accepted: each restarts the official clock.
BOUNCES = "bounces"
#: This order is the same demand again: same citizen, address and category, reported
#: within N days after the earlier order's final closure.
REPEAT = "repeat"
#: The earlier order this one repeats.
REPEAT_OF = "repeat_of"
#: Closed, then demanded again (closed but not resolved).
REPEATED = "repeated"
#: The order was parked (挂账) / granted an extension (延期批准).
SUSPENDED = "suspended"
EXTENDED = "extended"
#: The boundary a bounce-back crosses, from the returning unit to the next unit:
#: 条→块, 块→条, to a higher or a lower level, or to a unit of the same kind and level.
BOUNDARIES: dict[str, tuple[str, str]] = {
    "line_to_block": ("条→块", "line to block"),
    "block_to_line": ("块→条", "block to line"),
    "level_up": ("上一级", "level up"),
    "level_down": ("下一级", "level down"),
    "same_kind": ("同类同级", "same kind and level"),
}

# --------------------------------------------------------------------------- issue 24's words
#: What a step is, for the online burden (``procmine.audit`` section ``burden``):
#: field work on site, platform work (forms, reporting, approvals, returns), waiting
#: (the order parked), or other (the citizen's verdicts and callbacks).
WORK_KINDS: dict[str, tuple[str, ...]] = {
    "field": ("handle", "verify", "check", "check_failed"),
    "platform": ("report", "accept", "register", "dispatch", "sign", "feedback", "close",
                 "return", "redispatch", "escalate", "assign_down", "extension_request",
                 "extension_grant", "urge", "supervise", "fill_in", "upload", "review"),
    "waiting": ("park",),
    "other": ("callback", "dissatisfied", "reopen"),
}
#: The labels of the kinds of work, (zh, en).
WORK_KIND_LABELS: dict[str, tuple[str, str]] = {
    "field": ("现场处置", "field work"), "platform": ("平台操作", "platform work"),
    "waiting": ("等待", "waiting"), "other": ("其他", "other"),
}
#: Source groups (``procmine.audit`` section ``citizens``): the channels through which
#: citizens report, and those through which the administration finds matters itself.
#: A source named by neither is ``other`` and takes part in no comparison.
SOURCE_GROUPS: dict[str, tuple[str, ...]] = {
    "citizen": ("12345热线", "12345", "12345 hotline", "热线", "市民热线", "app", "随手拍",
                "市民上报", "微信", "小程序", "citizen"),
    "internal": ("网格巡查", "网格员", "grid patrol", "巡查", "监督员", "视频ai", "智能发现",
                 "video ai", "领导交办", "领导批示", "leader", "internal"),
}
SOURCE_GROUP_LABELS: dict[str, tuple[str, str]] = {
    "citizen": ("市民诉求", "citizens' orders"), "internal": ("内部发现", "internal orders"),
    "other": ("其他来源", "other sources"),
}
#: The simulator's truth of issue 24, per case: the order came from a citizen and a unit
#: marked upward-oriented answered it slower; the extra platform steps a burdened unit
#: filled in; the handling was slowed because the unit held more orders than its capacity.
UPWARD_SLOWED = "upward_slowed"
PLATFORM_EXTRA = "platform_extra"
OVERLOADED = "overloaded"


#: The column that holds the order of the events as time for a log read with
#: ``--order-as-time`` (the load report's mapping names it; :func:`procmine.output.source_column`)
ORDER_COLUMN = "(order in the file)"
