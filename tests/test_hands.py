"""Reading's steps after the parse run on two hands (procmine.hands.each): the same log, the
same load report and the same first error as when one hand does every step in turn."""

from __future__ import annotations

import os
import threading

import pytest

import procmine.abstractions
import procmine.read
import procmine.read.canonical
import procmine.read.readers
from procmine import hands
from procmine.abstractions import follows
from procmine.read import read_log, sniff
from tests.test_read_fast import CASES, ROWS, assert_same, read_outcome, replaced, text

#: the modules that take ``each`` from procmine.hands
USERS = (procmine.read, procmine.read.canonical, procmine.read.readers, procmine.abstractions)


def one_hand(step, items):
    return [step(x) for x in items]


def read_both_ways(path, monkeypatch, **options):
    """read_log's log (or error) on two hands, and on one."""
    two = read_outcome(path, **options)
    with monkeypatch.context() as m:
        for module in USERS:
            m.setattr(module, "each", one_hand)
        one = read_outcome(path, **options)
    return two, one


def test_each_keeps_the_order_of_the_items():
    assert hands.each(lambda x: x * 10, range(50)) == [x * 10 for x in range(50)]
    assert hands.each(str, []) == []


def test_each_uses_a_second_thread():
    seen = set()
    both = threading.Barrier(2, timeout=10)

    def step(x):
        seen.add(threading.current_thread().name)
        both.wait()     # only two threads at once can pass
        return x

    assert hands.each(step, [1, 2]) == [1, 2]
    assert len(seen) == 2


def test_each_raises_the_error_of_the_first_failing_item():
    def step(x):
        if x in (3, 7):
            raise ValueError(f"item {x}")
        return x

    for _ in range(20):     # whichever hand fails first
        with pytest.raises(ValueError, match="item 3"):
            hands.each(step, range(10))


def test_each_within_each_is_done_in_turn():
    assert hands.each(lambda x: hands.each(lambda y: x * y, [1, 2, 3]), [1, 2]) == [[1, 2, 3],
                                                                                  [2, 4, 6]]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_forked_child_has_a_helper_of_its_own():
    hands.each(abs, [1, -2])                  # the helper thread exists
    pid = os.fork()
    if pid == 0:                              # the child: no helper thread, a new one made
        try:
            os._exit(0 if hands.each(abs, [-3, -4]) == [3, 4] else 1)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("needs", [None, ()], ids=["every column", "needed columns"])
@pytest.mark.parametrize("name", list(CASES))
def test_two_hands_read_what_one_reads(tmp_path, monkeypatch, name, needs):
    path = tmp_path / "log.csv"
    path.write_bytes(CASES[name][0])
    assert_same(*read_both_ways(path, monkeypatch, needs=needs))


#: bad rows: the strict reader's first error, the lenient one's report
BAD = {
    "no case id": text(replaced(2, 0, "  ")),
    "no activity then no time": text(replaced(1, 1, "", replaced(0, 2, ""))),
    "no time then no activity": text(replaced(0, 2, "", replaced(1, 1, ""))),
    "unparsable time": text(replaced(3, 2, "soon")),
    "unparsable deadline": text(replaced(3, 7, "soon")),
    "unknown unit kind": text(replaced(3, 5, "斜")),
    "text times and deadline": text(replaced(3, 2, "2024年3月5日 11时",
                                             replaced(3, 7, "2024/3/6 18:00"))),
}


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("name", list(BAD))
def test_two_hands_say_what_one_says_of_bad_rows(tmp_path, monkeypatch, name, strict):
    path = tmp_path / "log.csv"
    path.write_text(BAD[name], encoding="utf-8")
    assert_same(*read_both_ways(path, monkeypatch, strict=strict))


def test_the_paths_of_a_log_are_the_same_on_two_hands(tmp_path, monkeypatch):
    path = tmp_path / "log.csv"
    path.write_text(text(ROWS * 3), encoding="utf-8")
    log = read_log(path)
    two = follows(log).table
    monkeypatch.setattr(procmine.abstractions, "each", one_hand)
    one = follows(log).table
    assert two.equals(one)


@pytest.mark.parametrize("where", ["none", "first half", "at the middle", "last byte"])
def test_the_quote_scan_of_a_large_file_finds_a_quote_anywhere(tmp_path, where):
    size = (1 << 24) + 4099        # read in two halves
    content = bytearray(b"a" * size)
    at = {"none": None, "first half": 1000, "at the middle": size // 2,
          "last byte": size - 1}[where]
    if at is not None:
        content[at] = ord('"')
    path = tmp_path / "big.csv"
    path.write_bytes(bytes(content))
    assert sniff.has_quotes(str(path)) is (at is not None)
