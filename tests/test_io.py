"""read_log: formats, encodings, column mapping, timestamps, bad rows; equal to pm4py."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import RECEIPT_XES, ROAD_XES

from procmine.abstractions import variants
from procmine.errors import ColumnError, InputError
from procmine.log import ACTIVITY, CASE, KIND, LEVEL, RESOURCE, TIMESTAMP
from procmine.read import detect_encoding, parse_timestamps, read_log


def pm4py_variants_of_xes(path):
    import pm4py

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm4py.get_variants(pm4py.read_xes(str(path)))


def pm4py_variants_of_csv(path):
    import pm4py

    frame = pd.read_csv(path)
    frame = pm4py.format_dataframe(frame, case_id="case:concept:name", activity_key="concept:name",
                                   timestamp_key="time:timestamp")
    return pm4py.get_variants(frame)


# ----------------------------------------------------------------------------- real logs


@pytest.mark.parametrize("name", ["receipt.csv", RECEIPT_XES])
def test_receipt_counts_equal_pm4py(real, name):
    log = read_log(real(name))
    assert (log.n_cases, log.n_events, log.n_activities) == (1434, 8577, 27)
    assert log.report.rows_dropped == 0
    expected = pm4py_variants_of_xes(real(RECEIPT_XES))
    assert variants(log).counts() == expected


@pytest.mark.parametrize("name", ["roadtraffic100traces.xes", "roadtraffic100traces.csv"])
def test_roadtraffic100_counts_equal_pm4py(real, name):
    log = read_log(real(name))
    assert (log.n_cases, log.n_events, log.n_activities) == (100, 390, 10)
    if name.endswith(".csv"):
        expected = pm4py_variants_of_csv(real(name))
    else:
        expected = pm4py_variants_of_xes(real(name))
    assert variants(log).counts() == expected


def test_complaints_latin1_semicolon_date_only(real):
    path = real("BPI2016_Complaints.csv")
    log = read_log(path, columns={"case_id": "CustomerID", "activity": "ComplaintTopic_EN",
                                  "timestamp": "ContactDate"})
    assert log.report.rows_read == 289
    assert log.n_events == 289
    assert log.report.encoding == "latin-1"
    assert log.report.delimiter == ";"
    # date-only values land at midnight in the chosen zone
    assert (log.events[TIMESTAMP].dt.hour == 0).all()
    # Latin-1 accents decode as accents, not as Chinese characters
    text = " ".join(log.events.astype(str).to_numpy().ravel()[:5000])
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_coselog_names_the_event_without_activity(real):
    log = read_log(real("CoSeLoG_WABO_1.xes.gz"))
    assert log.report.dropped == {"no activity": 1}
    (row, column, value), = log.report.examples["no activity"]
    assert column == "concept:name"
    assert "4565008" in value  # the trace that holds it
    assert log.n_events == 38943
    assert log.n_activities == 380


@pytest.mark.slow
def test_full_road_traffic_log_loads(real):
    log = read_log(real(ROAD_XES))
    assert log.n_events == 561470
    assert log.n_cases == 150370
    assert log.report.rows_dropped == 0


# ----------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_chinese_log_reads_identically_in_every_encoding(tmp_path, orders16, encoding):
    text = orders16.read_text(encoding="utf-8")
    path = tmp_path / f"orders-{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    log = read_log(path)
    reference = read_log(orders16)
    assert log.report.encoding == encoding
    assert log.report.mapping == reference.report.mapping
    pd.testing.assert_frame_equal(log.events, reference.events)
    assert log.events[ACTIVITY].iloc[0] == "上报"


def test_encoding_override(tmp_path, orders16):
    path = tmp_path / "gbk.csv"
    path.write_bytes(orders16.read_text(encoding="utf-8").encode("gb18030"))
    log = read_log(path, encoding="gb18030")
    assert log.n_cases == 3
    with pytest.raises(InputError, match="encoding="):
        read_log(path, encoding="utf-8")


def test_detect_encoding_prefers_latin1_for_accented_text():
    assert detect_encoding("Réclamation,Économie,données".encode("latin-1")) == "latin-1"
    assert detect_encoding("上报,派遣,处置".encode("gb18030")) == "gb18030"
    assert detect_encoding("上报,派遣".encode()) == "utf-8"


# ----------------------------------------------------------------------------- formats


def test_mapping_is_detected_from_chinese_headers(orders16):
    log = read_log(orders16)
    assert log.report.mapping[CASE] == "工单编号"
    assert log.report.mapping[ACTIVITY] == "环节"
    assert log.report.mapping[RESOURCE] == "承办单位"
    assert set(log.events[KIND].dropna()) == {"line", "block"}
    assert list(log.events[LEVEL].dropna().unique()) == ["网格", "街镇", "区", "居村"]
    assert (log.n_cases, log.n_events) == (3, 16)


def test_formats_give_the_same_events(tmp_path, orders16):
    reference = read_log(orders16)
    frame = pd.read_csv(orders16, dtype=str)
    frame.to_csv(tmp_path / "o.tsv", sep="\t", index=False)
    with gzip.open(tmp_path / "o.csv.gz", "wt", encoding="utf-8") as f:
        frame.to_csv(f, index=False)
    frame.to_excel(tmp_path / "o.xlsx", index=False)
    frame.to_parquet(tmp_path / "o.parquet", index=False)
    for name in ("o.tsv", "o.csv.gz", "o.xlsx", "o.parquet"):
        log = read_log(tmp_path / name)
        assert (log.n_cases, log.n_events) == (3, 16), name
        assert log.events[CASE].tolist() == reference.events[CASE].tolist(), name
        assert log.events[TIMESTAMP].tolist() == reference.events[TIMESTAMP].tolist(), name


def test_excel_sheet_option(tmp_path, orders16):
    frame = pd.read_csv(orders16, dtype=str)
    with pd.ExcelWriter(tmp_path / "two.xlsx") as writer:
        pd.DataFrame({"说明": ["导出说明"]}).to_excel(writer, sheet_name="readme", index=False)
        frame.to_excel(writer, sheet_name="工单", index=False)
    assert read_log(tmp_path / "two.xlsx", sheet="工单").n_events == 16
    assert read_log(tmp_path / "two.xlsx", sheet="1").n_events == 16
    with pytest.raises(InputError, match="no sheet named 'x'.*工单"):
        read_log(tmp_path / "two.xlsx", sheet="x")


def test_case_ids_keep_leading_zeros(tmp_path):
    path = tmp_path / "z.csv"
    path.write_text("case_id,activity,timestamp\n007,a,2024-01-01 09:00\n007,b,2024-01-01 10:00\n")
    assert read_log(path).events[CASE].tolist() == ["007", "007"]


# ----------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize("raw, expected", [
    ("2024-03-05T09:07:00+08:00", "2024-03-05 09:07:00+08:00"),
    ("2024-03-05T01:07:00Z", "2024-03-05 09:07:00+08:00"),
    ("2024-03-05 09:07:00", "2024-03-05 09:07:00+08:00"),
    ("2024/3/5 9:07", "2024-03-05 09:07:00+08:00"),
    ("2024年3月5日 09:07:00", "2024-03-05 09:07:00+08:00"),
    ("2024-03-05", "2024-03-05 00:00:00+08:00"),
])
def test_timestamp_formats(raw, expected):
    parsed, _ = parse_timestamps(pd.Series([raw]), timezone="Asia/Shanghai")
    assert str(parsed.iloc[0]) == expected


def test_excel_serials_and_epoch_seconds():
    serial, _ = parse_timestamps(pd.Series(["45356.37986111"]), timezone="Asia/Shanghai")
    assert str(serial.iloc[0]) == "2024-03-05 09:07:00+08:00"
    epoch, _ = parse_timestamps(pd.Series(["1709600820"]), timezone="Asia/Shanghai")
    assert str(epoch.iloc[0]) == "2024-03-05 09:07:00+08:00"


def test_naive_times_are_read_in_the_given_timezone(tmp_path):
    path = tmp_path / "tz.csv"
    path.write_text("case_id,activity,timestamp\n1,a,2024-01-01 09:00\n")
    shanghai = read_log(path)
    amsterdam = read_log(path, timezone="Europe/Amsterdam")
    assert shanghai.report.timezone_assumed and shanghai.report.timezone == "Asia/Shanghai"
    gap = amsterdam.events[TIMESTAMP].iloc[0] - shanghai.events[TIMESTAMP].iloc[0]
    assert gap == pd.Timedelta(hours=7)
    with pytest.raises(InputError, match="unknown timezone"):
        read_log(path, timezone="Mars/Olympus")


# ----------------------------------------------------------------------------- bad rows


def bad_log(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "case_id,activity,timestamp\n"
        "1,a,2024-01-01 09:00\n"     # row 2
        ",b,2024-01-01 10:00\n"      # row 3: no case id
        "1,,2024-01-01 11:00\n"      # row 4: no activity
        "1,c,yesterday\n"            # row 5: unparsable time
        "2,a,2024-01-02 09:00\n"     # row 6
        "2,a,2024-01-02 09:00\n"     # row 7: exact duplicate
        "2,x,2024-01-02 09:00,extra\n"  # row 8: ragged
    )
    return path


def test_bad_rows_are_dropped_counted_and_located(tmp_path):
    log = read_log(bad_log(tmp_path))
    report = log.report
    assert report.rows_read == 7
    assert report.rows_kept == 3
    assert report.dropped == {"ragged row (wrong number of fields)": 1, "no case id": 1,
                              "no activity": 1, "unparsable time": 1}
    assert report.examples["no case id"][0][:2] == (3, "case_id")
    assert report.examples["no activity"][0][:2] == (4, "activity")
    assert report.examples["unparsable time"][0] == (5, "timestamp", "yesterday")
    assert report.examples["ragged row (wrong number of fields)"][0][0] == 8
    assert report.duplicates == 1
    assert report.rows_kept + report.rows_dropped == report.rows_read


def test_strict_fails_on_the_first_bad_row(tmp_path):
    path = tmp_path / "strict.csv"
    path.write_text("case_id,activity,timestamp\n1,a,2024-01-01 09:00\n1,c,yesterday\n")
    with pytest.raises(InputError, match=r"row 3, column 'timestamp': unparsable time"):
        read_log(path, strict=True)


def test_equal_timestamps_keep_file_order(tmp_path):
    path = tmp_path / "ties.csv"
    path.write_text("case_id,activity,timestamp\n"
                    "1,z,2024-01-01 09:00\n1,a,2024-01-01 09:00\n1,m,2024-01-01 08:00\n")
    assert read_log(path).events[ACTIVITY].tolist() == ["m", "z", "a"]


def test_missing_column_lists_what_exists(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("id,what,when\n1,a,2024-01-01\n")
    with pytest.raises(ColumnError) as err:
        read_log(path)
    message = str(err.value)
    assert "case_id=" in message and "activity=" in message
    assert "the file has: id, what, when" in message
    log = read_log(path, columns={"case_id": "id", "activity": "what", "timestamp": "when"})
    assert log.n_events == 1
    with pytest.raises(ColumnError, match="no column 'nope'"):
        read_log(path, columns={"case_id": "nope"})


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x4b\x4c", "gzip"),
    (b"\x00\x01\x02\x03binary", "unknown log format"),
])
def test_unreadable_files_give_one_clear_error(tmp_path, content, message):
    name = "x.csv.gz" if content.startswith(b"\x1f\x8b") else "x.bin"
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_log(path)


def test_no_such_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_log(tmp_path / "missing.csv")


def test_reading_imports_no_analysis():
    import subprocess
    import sys

    code = ("import sys, procmine.read; from procmine.read import read_log; "
            "read_log('tests/fixtures/orders16.csv'); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('procmine'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=str(Path(__file__).parents[1])
                            ).stdout.split()
    analyses = ("discover", "conform", "bottlenecks", "loops", "network", "compare", "summary",
                "report", "render", "cli", "engines")
    assert "procmine.read.dialect" in loaded
    assert [m for m in loaded if m.split(".")[1:2] and m.split(".")[1] in analyses] == []


def test_read_log_is_exported_lazily_from_the_package():
    import subprocess
    import sys

    code = ("import sys, procmine; print('procmine.read' in sys.modules); "
            "import procmine.read; print(procmine.read_log is procmine.read.read_log)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True"]

