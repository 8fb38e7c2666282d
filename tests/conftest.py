"""Shared fixtures: paths to the sample log, the test fixtures and the real logs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = Path(os.environ.get("PROCMINE_REAL_DATA", ROOT.parent / "shared" / "data" / "real"))
SAMPLE = ROOT / "logs" / "sample.csv"
WORKFLOW = ROOT / "logs" / "workflow.yaml"
RECEIPT_XES = "Receipt_phase_of_an_environmental_permit_application_process_WABO_CoSeLoG_project.xes.gz"
ROAD_XES = "Road_Traffic_Fine_Management_Process.xes.gz"


def real_path(name: str) -> Path:
    """Path of a real log in ../shared/data/real, or skip the test with the reason."""
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real log {name} not found in {REAL} (see shared/data/real/SOURCES.md)")
    return path


@pytest.fixture
def real():
    """``real("receipt.csv")`` -> path, skipping when the real data folder is absent."""
    return real_path


@pytest.fixture
def orders16() -> Path:
    """A readable 16-event, 3-case dispatch log with Chinese headers."""
    return FIXTURES / "orders16.csv"


@pytest.fixture
def sample() -> Path:
    if not SAMPLE.exists():
        pytest.skip("logs/sample.csv is missing")
    return SAMPLE


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """A folder for files a person may want to look at after the run (screenshots...)."""
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole run (skips when pyspark or Java is missing)."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (pip install 'procmine[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17 (no java on PATH, no JAVA_HOME)")
    from procmine.engines.spark_engine import spark_session

    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def english_output(monkeypatch):
    """Tests read English tables and messages unless they ask for Chinese: the output's
    language otherwise follows the machine's locale and the log's headers (procmine.i18n)."""
    from procmine import i18n

    monkeypatch.setenv("PROCMINE_LANG", "en")
    i18n.set_language(None)
    yield
    i18n.set_language(None)
