# fieldguide — two commands: `make serve` (read the book) and `make test` (check all of it).
# A fresh clone needs nothing but this file: it makes .venv, installs pinned packages, fetches and
# verifies the browser runtime into a cache outside the checkout, and installs Chromium for tests.

SHELL := /bin/bash
export NO_MKDOCS_2_WARNING := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export FIELDGUIDE_CACHE ?= $(HOME)/.cache/fieldguide

# Prefer Python 3.12, the version the reader's browser runs (Pyodide 0.27.7); fall back to python3.
PYTHON_SYS := $(shell command -v python3.12 >/dev/null 2>&1 && python3.12 -c 'import sys' >/dev/null 2>&1 && echo python3.12 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: help setup runtime site serve test test-fast test-browser bench train train-check chromium clean

help:
	@echo "make serve   build the book and serve it on http://127.0.0.1:$(PORT)"
	@echo "make test    run every test (unit, demos, site build, browser)"
	@echo "make site    build the static site into site/"
	@echo "make bench   measure boot, time-to-live and render latency in Chromium"
	@echo "make train   retrain the shipped tiny models from their seeds"
	@echo "make train-check  retrain into a scratch folder; fail unless the weights are identical"

$(STAMP): pyproject.toml
	@echo "[setup] using $(PYTHON_SYS) ($$($(PYTHON_SYS) --version))"
	@$(PYTHON_SYS) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' || \
	  echo "[setup] note: Python 3.12 not found; the browser runs 3.12, tests will use $$($(PYTHON_SYS) --version)"
	test -x $(PY) || $(PYTHON_SYS) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[site,test]"
	touch $@

setup: $(STAMP)

runtime: $(STAMP)
	$(PY) scripts/stage_site.py

site: runtime
	$(PY) -m mkdocs build --strict --site-dir site

serve: site
	@echo "[serve] http://127.0.0.1:$(PORT)/"
	$(PY) -m fieldguide_site.serve site --port $(PORT)

# Debian's Chromium drives the browser tests (Playwright's own browser download is not reachable).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "[setup] installing Debian chromium"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "[setup] chromium is missing: run 'sudo apt-get install chromium' (browser tests need it)"; exit 1; \
	  fi; \
	fi

test: site chromium
	$(PY) -m pytest -q

test-fast: runtime
	$(PY) -m pytest -q -m "not browser"

bench: site chromium
	$(PY) bench/bench_runtime.py

# The training scripts pin threads and SIMD kernels themselves (scripts/kernels.py): the same
# bits on any x86-64 with AVX2. About 45 minutes in all. The SAE and the size sweep
# read tinylm's weights or tokenizer, so they follow train.py.
train: $(STAMP)
	$(PY) scripts/train.py
	$(PY) scripts/train_sae.py
	$(PY) scripts/train_sweep.py
	$(PY) scripts/train_draft.py
	$(PY) scripts/train_grokking.py
	$(PY) scripts/train_rnn.py

train-check: $(STAMP)
	$(PY) scripts/train.py --check
	$(PY) scripts/train_sae.py --check
	$(PY) scripts/train_sweep.py --check
	$(PY) scripts/train_draft.py --check
	$(PY) scripts/train_grokking.py --check
	$(PY) scripts/train_rnn.py --check

clean:
	rm -rf site docs/assets/runtime .pytest_cache build dist src/*.egg-info
