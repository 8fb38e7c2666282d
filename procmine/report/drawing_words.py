"""The English words procmine's drawings carry, said in Chinese for a Chinese report.

:mod:`procmine.render` writes its legends, overlay labels and tooltips in English
(as the commands draw them); the report's figures pass each SVG text and tooltip
through :func:`in_chinese`, a table of the drawings' phrases (numbers and names
kept), so a Chinese report has no English sentence in its figures.

>>> in_chinese("back at a returner 127")
'退回原退单单位 127'
>>> in_chinese("3,000 cases, 34,609 events; 23 of 23 activities, 38 of 38 paths shown")
'3,000 件工单，34,609 个事件；显示 23 个环节中的 23 个、38 条路径中的 38 条'
"""

from __future__ import annotations

import re

from procmine.i18n import durations_in_chinese, pieces_in_chinese

_METRICS = {
    "frequency (events, transitions)": "频次（事件数、转换次数）",
    "cases (with the activity, with the transition)": "工单数（含该环节、含该转换）",
    "mean waiting time (completion to completion)": "平均等待时间（完成到完成）",
    "median waiting time (completion to completion)": "等待时间中位数（完成到完成）",
    "90th percentile waiting time (completion to completion)": "等待时间90分位（完成到完成）",
    "total waiting time (completion to completion)": "等待时间合计（完成到完成）",
}

#: (pattern, replacement), tried in order on each text
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), r) for p, r in (
    (r"^Arrows: (.+); widest (\S+)$", "ARROWS"),
    (r"^Boxes: events; darkest (\S+) events$", r"方框：事件数；颜色最深 \1 个事件"),
    (r"^Boxes: events$", "方框：事件数"),
    (r"^Boxes: cases with the activity(.*)$", r"方框：含该环节的工单数\1"),
    (r"^([\d,]+) cases, ([\d,]+) events; (\d+) of (\d+) activities, (\d+) of (\d+) paths shown$",
     r"\1 件工单，\2 个事件；显示 \4 个环节中的 \3 个、\6 条路径中的 \5 条"),
    (r"^Colour: most frequent unit of the activity$", "颜色：该环节最常见的单位"),
    (r"^Colour: most frequent level of the activity$", "颜色：该环节最常见的层级"),
    (r"^start of the cases$", "工单开始"),
    (r"^end of the cases$", "工单结束"),
    (r"^(.+): events ([\d,]+), cases ([\d,]+)$", r"\1：事件 \2，工单 \3"),
    (r"^(.+) → (.+): count ([\d,]+), median wait (.+)$", r"\1 → \2：次数 \3，等待中位数 \4"),
    (r"^(.*): fitness ([\d.]+), ([\d.]+%) of ([\d,]+) cases conform$",
     r"\1：拟合度 \2，\4 件工单中 \3 符合规定流程"),
    (r"^back at a returner ([\d,]+)$", r"退回原退单单位 \1"),
    (r"^unexpected ([\d,]+)$", r"规定外 \1"),
    (r"^skipped ([\d,]+)$", r"跳过 \1"),
    (r"^repeated ([\d,]+)$", r"重复 \1"),
    (r"^out of order ([\d,]+)$", r"顺序颠倒 \1"),
    (r"^procmine loops$", "治理模式"),
    (r"^levels: escalations ↑, dispatches ↓ \(count, mean time\)$", "层级：↑ 提级，↓ 下派（次数，平均时间）"),
    (r"^ping-pong: A returned, B returned, back to A \(top (\d+) of (\d+) pairs\)$",
     r"推诿：A 退单、B 退单、又回到 A（\2 对中的前 \1 对）"),
    (r"^ping-pong: A returned, B returned, back to A$", "推诿：A 退单、B 退单、又回到 A"),
    (r"^(\d[\d,.]* (?:working min|working h|working days|min|s|h|d))$", r"\1"),   # a duration alone
))


#: the deadline source's words in the report's calendar line (the calendar's own pieces
#: are the commands' too: ``words/sentences.json``, :func:`procmine.i18n.pieces_in_chinese`)
_DEADLINE_SOURCE: tuple[tuple[str, str], ...] = (("workflow ", "工作流程 "), ("column ", "列 "))


def calendar_in_chinese(text: str) -> str:
    """A calendar's description in Chinese (package names and hours kept).

    >>> calendar_in_chinese("cn: Chinese public holidays and swapped working days (x); office hours 09:00-12:00")
    'cn: 中国法定节假日与调休工作日 (x); 办公时间 09:00-12:00'
    """
    for english, chinese in _DEADLINE_SOURCE:
        text = text.replace(english, chinese)
    return pieces_in_chinese(text)


def in_chinese(text: str) -> str:
    """One text of a drawing in Chinese (unchanged when it is not a known phrase)."""
    stripped = text.strip()
    for pattern, replacement in _PHRASES:
        found = pattern.match(stripped)
        if not found:
            continue
        if replacement == "ARROWS":
            metric = _METRICS.get(found.group(1), found.group(1))
            out = f"箭头：{metric}；最粗 {found.group(2)}"
        else:
            out = found.expand(replacement)
        return durations_in_chinese(out)
    return text
