# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DEMO   := demo_output

.PHONY: demo test lint bench mutate system-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,napari,gui-test]"
	@touch $(STAMP)

# Exit status 1 means "some inputs failed" (the samples hold one uncalibrated film on purpose);
# the failures are listed in $(DEMO)/failures.csv and the report.
demo: $(STAMP)
	$(VENV)/bin/spine-endpoints batch sample_dicom --out $(DEMO) --report || [ $$? -eq 1 ]

system-deps:
	@bash scripts/system-deps.sh

lint: $(STAMP)
	$(PY) -m ruff check imaging plugins scripts tests benchmarks
	$(PY) -m ruff format --check imaging plugins scripts tests benchmarks
	$(PY) -m mypy
	$(VENV)/bin/lint-imports --no-cache

# The store tests also run against a throw-away PostgreSQL server when one can be started.
# pytest runs on TEST_WORKERS processes (pytest-xdist), a test file's tests on one worker so its
# module fixtures are made once; each worker has its own PostgreSQL database (docs/testing.md).
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

test: $(STAMP) system-deps lint
	@url=$$(bash scripts/test-postgres.sh start 2>/dev/null || true); \
	if [ -n "$$url" ]; then export SPINE_ENDPOINTS_TEST_POSTGRES_URL="$$url"; \
	else echo "test: no PostgreSQL server binaries; the PostgreSQL store tests will be skipped"; fi; \
	if command -v xvfb-run >/dev/null 2>&1; then \
		xvfb-run -a -s "-screen 0 1280x1024x24" $(PYTEST); status=$$?; \
	else \
		$(PYTEST); status=$$?; \
	fi; \
	bash scripts/test-postgres.sh stop >/dev/null 2>&1 || true; \
	exit $$status

bench: $(STAMP)
	$(PY) -m benchmarks

# Mutation testing of the modules that compute a trial's numbers ([tool.mutmut] in pyproject.toml;
# over an hour on 2 cores). Fails when a module's kill rate is under 95 % or a survivor is not
# triaged; the table is written to docs/mutation-report.md (see docs/mutation-testing.md).
# mutmut copies imaging's data files (protocol and scale TOML) into mutants/ only once: a rerun
# refreshes them first. Its exit status is not the verdict: the report's is (1: a module under
# the target, a mutant not run or a survivor not triaged; 2: no result of this code).
mutate: $(STAMP)
	@if [ -d mutants ]; then git ls-files imaging | grep -v '\.py$$' | xargs -r cp --parents -t mutants; fi
	$(VENV)/bin/mutmut run --max-children $$(nproc) || true
	$(PY) scripts/mutation_report.py --write docs/mutation-report.md

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache mutants
