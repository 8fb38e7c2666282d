# Two commands set up a fresh machine and run procmine:
#   make demo   installs everything and runs the main job on the sample log
#   make test   installs everything and runs the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: demo test setup setup-test lint bench clean

$(BIN)/procmine: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "procmine needs Python 3.11 or newer (PYTHON=$(PYTHON))" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $@

# the test tools (pytest, hypothesis, ruff, pyspark for the Spark engine test)
$(VENV)/.test-deps: $(BIN)/procmine
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

setup: $(BIN)/procmine
	@bash scripts/system-deps.sh

setup-test: $(VENV)/.test-deps
	@bash scripts/system-deps.sh --test

demo: setup
	@mkdir -p $(OUT)
	$(BIN)/procmine info logs/sample.csv
	$(BIN)/procmine map logs/sample.csv -o $(OUT)/map.svg
	$(BIN)/procmine report logs/sample.csv --workflow logs/workflow.yaml -o $(OUT)/report.html
	@echo "Done: open $(OUT)/report.html (process map alone: $(OUT)/map.svg)" >&2

test: setup-test
	$(BIN)/python -m pytest -q

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .

bench: $(BIN)/procmine
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
