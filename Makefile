# Two entry points (README): `make run` and `make test`. Both are idempotent:
# the virtual environment is rebuilt only when pyproject.toml changes.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test check bench clean

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/calib serve

test: install
	@$(VENV)/bin/python scripts/check

check: test

bench: install
	@$(VENV)/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,bench]'
	$(VENV)/bin/python benchmarks/bench_uncertainty.py
	$(VENV)/bin/python benchmarks/bench_ilc.py
	$(VENV)/bin/python benchmarks/bench_trace.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
