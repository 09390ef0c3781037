# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DEMO   := demo_output

.PHONY: demo test lint bench system-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,napari,gui-test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/spine-endpoints scan sample_dicom

system-deps:
	@bash scripts/system-deps.sh

lint: $(STAMP)
	$(PY) -m ruff check imaging plugins scripts tests benchmarks
	$(PY) -m ruff format --check imaging plugins scripts tests benchmarks
	$(PY) -m mypy

test: $(STAMP) system-deps lint
	@if command -v xvfb-run >/dev/null 2>&1; then \
		xvfb-run -a -s "-screen 0 1280x1024x24" $(PY) -m pytest; \
	else \
		$(PY) -m pytest; \
	fi

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
