# Two commands for a fresh machine: `make run` and `make test` (README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz install seed load serve clean bench bench-nodes bench-reports

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# `make run` serves from its own environment holding only what serving needs, at the exact
# versions and hashes of requirements.lock (the image installs the same); the test tools
# (playwright, schemathesis, …) never enter it. Loopback unless BIND says otherwise.
SERVE_VENV := .venv-serve
SERVE_BIN := $(SERVE_VENV)/bin
SERVE_STAMP := $(SERVE_VENV)/.installed

$(SERVE_STAMP): requirements.lock requirements-build.lock setup.cfg pyproject.toml
	$(PYTHON) -m venv $(SERVE_VENV)
	$(SERVE_BIN)/pip install --quiet --require-hashes -r requirements-build.lock -r requirements.lock
	$(SERVE_BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(SERVE_STAMP)

load: $(SERVE_STAMP)
	$(SERVE_BIN)/python -m indexer load seed_data/

# The background job runner (docs/jobs.md) runs beside gunicorn; Ctrl-C stops both.
run: load
	bash scripts/serve.sh $(SERVE_BIN)/python -m directory_service.jobs -- $(SERVE_BIN)/gunicorn -c gunicorn.conf.py --bind $${BIND:-127.0.0.1:8000}

test: $(STAMP)
	bash scripts/install_browser.sh
	bash scripts/install_postgres.sh
	bash scripts/install_promtool.sh
	bash scripts/install_redis.sh
	bash scripts/install_nginx.sh
	bash scripts/test.sh
	$(BIN)/python scripts/fuzz.py

# schemathesis over every operation, writes and keys included, stateful along the links;
# fails on any 5xx, any undocumented response or fewer than 1,000 requests (scripts/fuzz.py).
fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz.py

seed: $(STAMP)
	$(BIN)/python -m seed_data.generate

# Issue 15's benchmark (bench/run.py): index, in-process queries, served answers compared
# with them at one pinned moment (bench/pinned_app.py), gunicorn + wrk over 10,000 distinct
# queries against the bare Flask floor, PostGIS peer when present, bed reports and a
# re-index under load. Loopback only, bounded; figures in var/bench/, each beside its
# commit, date and load average. Exits non-zero only when an answer differs, a report is
# lost or a search fails. `make bench SIZE=1000000` for 1M records; BENCH_ARGS for more
# (e.g. BENCH_ARGS='--seconds 3 --rounds 1').
SIZE ?= 100000
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	bash scripts/install_postgis.sh
	bash scripts/install_wrk.sh
	$(BIN)/python bench/run.py --size $(SIZE) $(BENCH_ARGS)

# Issue 16: bed reports per second while searches run, one node on the SQLite file against
# two gunicorn nodes sharing one throwaway PostgreSQL cluster (bench/beds_nodes.py).
bench-nodes: $(STAMP)
	bash scripts/install_postgres.sh
	$(BIN)/python bench/beds_nodes.py

# Bed reports/s, this tree against OLD (a commit, default main), alternated in one run.
OLD ?= main
bench-reports: $(STAMP)
	rm -rf var/bench-old && mkdir -p var/bench-old
	git archive $(OLD) | tar -x -C var/bench-old
	$(BIN)/python bench/report_ab.py --old var/bench-old

clean:
	rm -rf $(VENV) $(SERVE_VENV) var test-artifacts
