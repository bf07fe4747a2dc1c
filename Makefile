# nashr: `make run` starts everything on one machine; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test install lint services compose-check site-tools monitoring-check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/nashr up --submit examples/seed-article.json

test: $(STAMP) services compose-check site-tools monitoring-check lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy pipeline config tasks ingest ops tests bench scripts

services:
	bash scripts/services.sh

# Debian's docker-compose checks the file (no Docker engine needed); required under CI=true.
compose-check:
	@command -v docker-compose >/dev/null 2>&1 \
	  || (apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null) \
	  || [ "$$CI" != "true" ]
	@if command -v docker-compose >/dev/null 2>&1; then \
	  docker-compose -f docker-compose.yml config --quiet && echo "docker-compose.yml is valid"; \
	else echo "docker-compose is not installed here: compose check skipped"; fi

# What the site's checks run: nginx (deploy/nginx.conf), Debian's chromium (playwright and
# Lighthouse drive it), Java for the Nu HTML Checker, and the npm tools pinned in tools/.
SITE_APT := nginx-light chromium openjdk-17-jre-headless
site-tools:
	@missing=""; for p in $(SITE_APT); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	  || [ "$$CI" != "true" ]; fi
	@[ tools/node_modules/.package-lock.json -nt tools/package-lock.json ] \
	  || (cd tools && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) \
	  || [ "$$CI" != "true" ]

# promtool (Debian's prometheus package) checks the alert rules; required under CI=true.
monitoring-check:
	@command -v promtool >/dev/null 2>&1 \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends prometheus >/dev/null) \
	  || [ "$$CI" != "true" ]
	@if command -v promtool >/dev/null 2>&1; then promtool check rules deploy/alerts.yml; \
	else echo "promtool is not installed here: alert rules check skipped"; fi

bench: $(STAMP) services
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache tools/node_modules
