# The project's commands. `make help` lists them; `make run` and `make test` are all a newcomer needs.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# Bootstraps uv only; uv then installs the interpreter .python-version names (never downloading one).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) app/manage.py
HOST ?= 127.0.0.1
# `make run` serves on the web port of ports.env, where every port is declared.
PORT ?= $(shell sed -n 's/^WEB_PORT=//p' ports.env)
# Builds and tools live outside the repository, so a fresh clone reuses them.
CACHE ?= $(or $(TWEETSTACK_CACHE),$(HOME)/.cache/tweetstack)
# uv reads and writes uv.lock, at the release pyproject.toml requires ([tool.uv] required-version).
UV_VERSION := $(shell sed -n 's/^required-version = "==\(.*\)"$$/\1/p' pyproject.toml)
UV := $(CACHE)/tools/uv-$(UV_VERSION)/bin/uv
# Exactly the locked versions; a uv.lock out of step with pyproject.toml is an error, not a re-resolve.
SYNC := $(UV) sync --locked --quiet

.PHONY: help install install-run install-stack install-loadtest lock lock-check audit run test lint format \
	migrate seed clean screenshots loadtest bench-scale bench-social backup export restore restore-drill slo-rules

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 (e.g. apt-get install python3.11 python3.11-venv)"; exit 1; }
	@mkdir -p "$(CACHE)/tools" && tmp=$$(mktemp -d "$(CACHE)/tools/.uv-XXXXXX") \
	  && $(PYTHON) -m pip install --quiet --disable-pip-version-check --target "$$tmp" "uv==$(UV_VERSION)" \
	  && { mv -T "$$tmp" "$(CACHE)/tools/uv-$(UV_VERSION)" 2>/dev/null || rm -rf "$$tmp"; }

# Each target installs what it needs: `make run` the app's dependencies only, the stack and load-test
# targets their group on top (--inexact keeps what is there), `make install`/`make test` everything.
install-run: $(UV)
	$(SYNC) --inexact --no-default-groups

install-stack: $(UV)
	$(SYNC) --inexact --no-default-groups --group stack

install-loadtest: $(UV)
	$(SYNC) --inexact --no-default-groups --group stack --group loadtest

install: $(UV) ## create .venv with every locked dependency (app, tests, lint, stack, load test)
	$(SYNC) --all-groups

lock: $(UV) ## re-resolve uv.lock after editing pyproject.toml (PACKAGE=name upgrades that one)
	$(UV) lock $(if $(PACKAGE),--upgrade-package $(PACKAGE))

lock-check: $(UV)
	$(UV) lock --check --quiet

audit: install ## pip-audit: known vulnerabilities of the locked versions (needs PyPI's JSON API; not in make test)
	$(UV) export --locked --all-groups --no-emit-project --format requirements-txt --quiet \
	  | $(VENV)/bin/pip-audit --strict --requirement /dev/stdin --require-hashes --disable-pip --progress-spinner off

migrate: install-run ## apply database migrations
	$(MANAGE) migrate --noinput

seed: migrate ## create the demo account and sample tweets (idempotent)
	$(MANAGE) seed_demo --tweets 30

run: seed ## serve the app on its embedded default (SQLite) at http://127.0.0.1:$PORT (WEB_PORT of ports.env)
	@echo "Serving http://$(HOST):$(PORT)/  (Ctrl-C stops; log in as 'demo' with the password printed above on first run)"
	$(MANAGE) runserver $(HOST):$(PORT)

lint: install ## the pre-commit hooks over every file: ruff, ruff format, mypy, YAML/JSON, django-upgrade, migrations, lock
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

format: install ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint ## every test: lint, then every tier of tests (unit, config, deploy, e2e, browser, benchmarks' smoke)
	$(PY) -m pytest

screenshots: install ## the README's screenshots (docs/screenshots/, light and dark) from the native stack in Chromium
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest tests/e2e/test_screenshots.py -q

URL ?=
USERS ?= 20
DURATION ?= 30s
loadtest: install-loadtest ## Locust load test, summary printed (URL=base URL, default the native stack; USERS=20 DURATION=30s)
	$(PY) -m loadtest.run $(if $(URL),--url $(URL)) --users $(USERS) --duration $(DURATION)

bench-scale: install-loadtest ## scaling benchmark of the native stack, 1-4 replicas; report in docs/benchmarks/
	$(PY) -m loadtest.bench_scale

GROWTH ?=
BENCH_ARGS ?=
bench-social: install-loadtest ## social workload benchmark (10k users, 1M tweets; GROWTH=1 adds 1k-100k; BENCH_ARGS=...); report in docs/benchmarks/
	$(PY) -m loadtest.bench_social $(if $(GROWTH),--growth) $(BENCH_ARGS)

backup: install-stack ## back up the native stack into pgBackRest's repository + media into var/stack/backups (TYPE=full|incr)
	$(PY) -m stack manage backup $(if $(TYPE),--type $(TYPE))

export: install-stack ## a portable pg_dump export of the native stack's database (+ media) into var/stack/backups
	$(PY) -m stack manage backup --dump

BACKUP ?=
TIME ?=
SET ?=
restore: install-stack ## restore the stack's PostgreSQL from pgBackRest (TIME="2026-12-02 01:30:00+00" for a moment; BACKUP=<export folder> [FORCE=1] for an export)
	$(if $(BACKUP),$(PY) -m stack manage restore $(BACKUP) $(if $(FORCE),--force),$(PY) -m stack restore $(if $(TIME),--time "$(TIME)") $(if $(SET),--set $(SET)))

restore-drill: install-stack ## restore the newest backup into a scratch server and check it against its manifest
	$(PY) -m stack manage restore_drill

slo-rules: install ## regenerate monitoring/prometheus/rules/slo.yml from monitoring/prometheus/slo_rules.py
	$(PY) monitoring/prometheus/slo_rules.py

clean: ## remove the virtualenv and the embedded database and uploads
	rm -rf $(VENV) var *.egg-info

# The native stack's targets (stack, stack-status, stack-logs, stack-down, stack-clean).
-include stack/stack.mk
# Containers, Compose and Terraform (up, down, prod-up, ...).
-include deploy.mk
