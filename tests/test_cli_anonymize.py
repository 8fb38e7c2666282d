"""procmine anonymize on the command line."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from procmine.cli import cli


def test_anonymize_writes_log_and_mapping_only_when_asked(tmp_path, orders16):
    frame = pd.read_csv(orders16, dtype=str)
    frame["联系电话"] = "13812345678"
    src = tmp_path / "in.csv"
    frame.to_csv(src, index=False)
    key = tmp_path / "key.txt"
    key.write_text("k1-test-key-of-32-bytes-abcdefgh")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["anonymize", str(src), "--key-file", str(key), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Dropped column '联系电话'" in result.stderr
    written = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert "联系电话" not in written.columns
    assert written["工单编号"].str.startswith("C-").all()
    assert list(tmp_path.glob("*mapping*")) == []
    mapping = tmp_path / "mapping.csv"
    result = CliRunner().invoke(cli, ["anonymize", str(src), "--key-file", str(key), "-o",
                                      str(out), "--mapping-out", str(mapping)])
    table = pd.read_csv(mapping, dtype=str, encoding="utf-8-sig")
    assert set(table["original"]) >= {"GD001", "GD002", "GD003"}


def test_anonymize_without_key_fails_cleanly(tmp_path, orders16, monkeypatch):
    monkeypatch.delenv("PROCMINE_ANON_KEY", raising=False)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["anonymize", str(orders16), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no key for pseudonymisation")
    assert not out.exists()


def test_anonymize_refuses_to_overwrite_its_input(tmp_path, orders16):
    src = tmp_path / "in.csv"
    src.write_bytes(orders16.read_bytes())
    before = src.read_bytes()
    result = CliRunner().invoke(cli, ["anonymize", str(src), "-o", str(src)],
                                env={"PROCMINE_ANON_KEY": "k1-test-key-of-32-bytes-abcdefgh"})
    assert result.exit_code != 0
    assert "overwrite the input" in result.stderr
    assert src.read_bytes() == before


PLANTED = {  # issue 21, item 1: formatted, sparse and hidden personal data
    "formatted mobile": "138-1234-5678",
    "international mobile": "+86 139 1234 5678",
    "old ID number": "110105491231002",
    "ID number": "110101199003077777",
    "mobile in text": "请联系13812345678",
    "e-mail": "zhang.san@example.com",
    "street address": "长乐路25弄3号",
}


def _log_with_planted_pii(tmp_path, rows: int = 1000):
    """A 1,000-row log where each planted value is in ONE row of a free-text column,
    and PII hides inside an activity name, a unit name and a category."""
    cases = [f"GD{i // 4:04d}" for i in range(rows)]
    steps = ["上报", "派遣", "处置", "结案"]
    frame = pd.DataFrame({
        "工单编号": cases,
        "环节": [steps[i % 4] for i in range(rows)],
        "时间": pd.date_range("2024-03-04 09:00", periods=rows, freq="7min").astype(str),
        "承办单位": ["城运中心"] * rows,
        "类别": ["暴露垃圾"] * rows,
        "附加信息": ["无"] * rows,
    })
    for i, value in enumerate(PLANTED.values()):
        frame.loc[100 * i + 1, "附加信息"] = value
    frame.loc[3, "环节"] = "回访13812345678"        # a mobile number inside an activity name
    frame.loc[7, "承办单位"] = "网格员 139-8765-4321"  # inside a unit name (kept with --keep-units)
    frame.loc[11, "类别"] = "投诉 li.si@example.org"  # an e-mail in 类别
    path = tmp_path / "pii.csv"
    frame.to_csv(path, index=False)
    return path


def test_anonymize_lets_no_planted_personal_data_through(tmp_path):
    src = _log_with_planted_pii(tmp_path)
    out = tmp_path / "anon.csv"
    result = CliRunner().invoke(cli, ["anonymize", str(src), "--keep-units", "-o", str(out)],
                                env={"PROCMINE_ANON_KEY": "k1-test-key-of-32-bytes-abcdefgh"})
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    for value in [*PLANTED.values(), "13812345678", "139-8765-4321", "li.si@example.org"]:
        assert value not in text, value
    assert "1234" not in text.replace("2024", "")  # no digit run of a planted number is left
    written = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert "附加信息" not in written.columns  # the free-text column is dropped ...
    assert "回访[电话]" in set(written["环节"])  # ... needed columns are masked inside the value
    assert "网格员 [电话]" in set(written["承办单位"])
    assert "投诉 [邮箱]" in set(written["类别"])
    assert (written["环节"] == "上报").sum() == 250  # the other activities are untouched
    err = result.stderr
    assert "Dropped column '附加信息': values contain" in err and "(7 values)" in err
    assert "Masked personal data inside 1 value of column '环节'" in err
    assert "column '类别'" in err and "column '承办单位'" in err


def test_mapping_is_private_and_weak_or_endless_keys_are_refused(tmp_path, orders16):
    out, mapping = tmp_path / "anon.csv", tmp_path / "mapping.csv"
    good = {"PROCMINE_ANON_KEY": "k1-test-key-of-32-bytes-abcdefgh"}
    result = CliRunner().invoke(cli, ["anonymize", str(orders16), "-o", str(out),
                                      "--mapping-out", str(mapping)], env=good)
    assert result.exit_code == 0, result.output
    assert mapping.stat().st_mode & 0o777 == 0o600  # the mapping is as secret as the key
    assert out.stat().st_mode & 0o077 != 0  # ordinary outputs keep ordinary permissions
    weak = tmp_path / "weak.txt"
    weak.write_text("a" * 16)
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"0123456789abcdef" * 100_000)
    for key_file, message in ((weak, "only 1 distinct characters"),
                              ("/dev/zero", "larger than 4,096 bytes"),
                              (huge, "larger than 4,096 bytes")):
        result = CliRunner().invoke(cli, ["anonymize", str(orders16), "-o", str(tmp_path / "x.csv"),
                                          "--key-file", str(key_file)])
        assert result.exit_code == 2, (key_file, result.output)
        assert message in result.stderr
        assert "secrets.token_hex(32)" in result.stderr  # says how to make a good key
        assert not (tmp_path / "x.csv").exists()


def test_columns_every_log_needs_cannot_be_dropped_or_turned_into_pseudonyms(tmp_path, orders16):
    """Dropping the case id, activity or time (or pseudonymising the time) wrote a log that
    no command could read back, with exit 0."""
    out = tmp_path / "anon.csv"
    key = {"PROCMINE_ANON_KEY": "k1-test-key-of-32-bytes-abcdefgh"}
    for option, column, says in (("--drop", "case:concept:name", "'工单编号' (case:concept:name)"),
                                 ("--drop", "环节", "'环节' (concept:name)"),
                                 ("--drop", "time:timestamp", "'时间' (time:timestamp)"),
                                 ("--pseudonymize", "时间", "'时间' (time:timestamp)")):
        result = CliRunner().invoke(cli, ["anonymize", str(orders16), "-o", str(out), option, column],
                                    env=key)
        assert result.exit_code == 2, (option, column, result.output)
        verb = "drop" if option == "--drop" else "pseudonymise"
        assert f"Error: cannot {verb} column {says}" in result.stderr
        assert "could not be read back" in result.stderr
        assert not out.exists()


def test_drop_keep_and_pseudonymize_take_the_files_own_headers(tmp_path, orders16):
    """--where took the file's headers but --drop/--keep/--pseudonymize only internal names."""
    frame = pd.read_csv(orders16, dtype=str)
    frame["诉求人"] = "张三"
    src, out = tmp_path / "in.csv", tmp_path / "anon.csv"
    frame.to_csv(src, index=False)
    key = {"PROCMINE_ANON_KEY": "k1-test-key-of-32-bytes-abcdefgh"}
    result = CliRunner().invoke(cli, ["anonymize", str(src), "-o", str(out), "--drop", "来源",
                                      "--keep", "诉求人", "--pseudonymize", "类别"], env=key)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert "来源" not in written.columns
    assert "Dropped column '来源': asked with --drop" in result.stderr
    assert set(written["诉求人"]) == {"张三"}             # kept on purpose, in clear
    assert written["类别"].str.startswith("P-").all()
    result = CliRunner().invoke(cli, ["anonymize", str(src), "-o", str(out),
                                      "--drop", "case:source"], env=key)    # internal names too
    assert result.exit_code == 0, result.output
    assert "来源" not in pd.read_csv(out, dtype=str, encoding="utf-8-sig").columns
