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
    key.write_text("k" * 32)
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
                                env={"PROCMINE_ANON_KEY": "k" * 32})
    assert result.exit_code != 0
    assert "overwrite the input" in result.stderr
    assert src.read_bytes() == before
