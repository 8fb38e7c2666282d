"""anonymize_log: keyed pseudonyms, PII detection, same analysis numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine.abstractions import follows, variants
from procmine.anonymize import anonymize_log, detect_pii, load_key, pseudonym
from procmine.errors import SpecError
from procmine.log import CASE, RESOURCE
from procmine.read import read_log, write_log

KEY = b"a-test-key-of-32-bytes-0123456789"


@pytest.fixture
def with_pii(tmp_path, orders16):
    frame = pd.read_csv(orders16, dtype=str)
    frame["联系电话"] = "13812345678"
    frame["附言"] = [f"市民反映在某路{i}号门口有垃圾堆放很久了请尽快处理谢谢" * 2
                          for i in range(len(frame))]
    frame["contact_info"] = "110101199003077777"
    frame["工号"] = [f"reporter{i}@city.gov.cn" for i in range(len(frame))]
    frame["备用字段"] = "ok"
    path = tmp_path / "pii.csv"
    frame.to_csv(path, index=False)
    return path


def test_pii_columns_are_found_by_header_and_content(with_pii):
    found = detect_pii(read_log(with_pii).events)
    assert set(found) == {"联系电话", "附言", "contact_info", "工号"}
    assert found["工号"] == "values contain e-mail addresses"
    assert found["contact_info"] == "header suggests personal data"
    assert found["附言"] == "long free text"


def test_pseudonyms_are_keyed_and_stable(with_pii):
    log = read_log(with_pii)
    one = anonymize_log(log, KEY)
    two = anonymize_log(read_log(with_pii), KEY)
    other = anonymize_log(log, b"another-key-of-enough-length-123")
    assert one.events[CASE].tolist() == two.events[CASE].tolist()
    assert set(one.events[CASE]).isdisjoint(other.events[CASE])
    assert not set(one.events[CASE]) & {"GD001", "GD002", "GD003"}
    assert one.events[CASE].iloc[0] == pseudonym("GD001", KEY, "C-")
    assert one.events[RESOURCE].str.startswith("U-").all()
    assert one.mapping is None  # no mapping unless asked


def test_pii_is_dropped_unless_kept(with_pii):
    result = anonymize_log(read_log(with_pii), KEY, keep=["联系电话"])
    assert "联系电话" in result.events.columns
    assert "contact_info" not in result.events.columns
    assert "备用字段" in result.events.columns
    text = result.events.astype(str).to_csv()
    assert "110101199003077777" not in text and "@city.gov.cn" not in text


def test_same_numbers_on_the_anonymised_log(tmp_path, with_pii):
    original = read_log(with_pii)
    result = anonymize_log(original, KEY)
    out = tmp_path / "anon.csv"
    write_log(result.events.rename(columns=original.report.mapping), out)
    again = read_log(out)
    assert (again.n_cases, again.n_events, again.n_activities) == (3, 16, 9)
    assert variants(again).table["cases"].tolist() == variants(original).table["cases"].tolist()
    assert follows(again).table[["source", "target", "count", "mean", "median"]].equals(
        follows(original).table[["source", "target", "count", "mean", "median"]])
    per_unit = original.events.groupby(RESOURCE).size().sort_values().tolist()
    assert again.events.groupby(RESOURCE).size().sort_values().tolist() == per_unit


def test_time_shift_keeps_durations_and_weekdays(with_pii):
    log = read_log(with_pii)
    result = anonymize_log(log, KEY, shift_days=70)
    shifted = result.events["time:timestamp"]
    original = log.events["time:timestamp"]
    assert (shifted.dt.day_of_week == original.dt.day_of_week).all()
    spans = lambda ev: ev.groupby(ev[CASE].factorize()[0])["time:timestamp"].agg(  # noqa: E731
        lambda t: t.max() - t.min()).tolist()
    assert spans(result.events) == spans(log.events)


def test_no_default_key(monkeypatch, tmp_path):
    monkeypatch.delenv("PROCMINE_ANON_KEY", raising=False)
    with pytest.raises(SpecError, match="no key"):
        load_key(None)
    short = tmp_path / "k"
    short.write_text("short")
    with pytest.raises(SpecError, match="shorter than 16"):
        load_key(str(short))
    monkeypatch.setenv("PROCMINE_ANON_KEY", "x" * 20)
    with pytest.raises(SpecError, match="distinct characters"):  # issue 21: weak keys refused
        load_key(None)
    monkeypatch.setenv("PROCMINE_ANON_KEY", "x-20-bytes-key-abcde")
    assert load_key(None) == b"x-20-bytes-key-abcde"
