# The set-up commands of the README: `make demo`, `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DB ?= archive.db
PORT ?= 8001

.PHONY: venv test lint format demo serve pywb bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the project with its dev tools

test: $(STAMP)  ## run the whole test suite (3 processes; `pytest -q` runs it in one)
	$(PY) -m pytest -q -n 3

lint: $(STAMP)  ## ruff check + ruff format --check
	$(VENV)/bin/ruff check lpscrape tests benchmarks
	$(VENV)/bin/ruff format --check lpscrape tests benchmarks

format: $(STAMP)
	$(VENV)/bin/ruff check --fix lpscrape tests benchmarks
	$(VENV)/bin/ruff format lpscrape tests benchmarks

demo: $(STAMP)  ## serve the bundled sample site on 127.0.0.1 and crawl it into $(DB)
	$(VENV)/bin/lpscrape demo --db $(DB)

serve: $(STAMP)  ## Datasette over $(DB) at http://127.0.0.1:$(PORT)/ (read-only; Ctrl+C to stop)
	$(VENV)/bin/lpscrape serve --db $(DB) --port $(PORT)

pywb:  ## pywb in its own virtualenv (.pywb), to replay `lpscrape export warc` files
	$(PYTHON) -m venv .pywb
	.pywb/bin/python -m pip install --quiet pywb

bench: $(STAMP)  ## the benchmarks: ratios against the field's tools in the same run
	$(PY) benchmarks/extract_speed.py
	-$(PY) benchmarks/realpages.py  # needs ../shared/realpages; skipped with a message without
	$(PY) benchmarks/crawl_speed.py
	$(PY) benchmarks/report.py  # crawl, reparse, Datasette and CSV against plain tools -> BENCHMARKS.md
	-$(PY) benchmarks/distributed_bench.py  # 1, 2, 3 crawlers + the writer; needs redis-server

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
