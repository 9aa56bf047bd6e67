# combipat developer entry points.
#
# On a fresh Debian 12 machine (with a Rust toolchain):
#   make test    # private PostgreSQL cluster + the whole test suite
#   make run     # private PostgreSQL cluster + migrate + demo data + API server
#
# The database is a private cluster in .local/pg (scripts/pg-local.sh, port
# $COMBIPAT_PG_PORT, default 54329) unless DATABASE_URL is set, in which case
# that database is used and nothing is started or stopped.
# Every environment variable you set (COMBIPAT_ADDR, COMBIPAT_LOG, ...) is
# passed through to the commands unchanged.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# rustup puts cargo in ~/.cargo/bin, which non-login shells may not have on PATH.
ifeq ($(shell command -v cargo 2>/dev/null),)
  ifneq ($(wildcard $(HOME)/.cargo/bin/cargo),)
    export PATH := $(HOME)/.cargo/bin:$(PATH)
  endif
endif

PG_LOCAL := bash scripts/pg-local.sh
# Cargo's output folder: CARGO_TARGET_DIR when set (relative to this folder), else target/.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN      := $(TARGET_DIR)/release/combipat
# Sets DATABASE_URL and COMBIPAT_JWT_SECRET unless already set (see the file).
DEV_ENV  := source scripts/dev-env.sh
TEST_JWT_SECRET := combipat-test-secret-do-not-use-in-production

NEED_CARGO := command -v cargo >/dev/null || { echo "cargo not found: install Rust, e.g. curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y" >&2; exit 1; }

WEB := bash scripts/web.sh

# LINT_IN_BUILD=1 (what CI does, decision A70): the workspace's crates are compiled by
# clippy-driver with warnings as errors, so the build of `make test-rust` is also the
# clippy of `make lint`, without clippy's own check-only compilation of every dependency.
# Every cargo command of a run must see the same two variables, or cargo compiles again.
ifeq ($(LINT_IN_BUILD),1)
  export RUSTC_WORKSPACE_WRAPPER := $(shell rustc --print sysroot)/bin/clippy-driver
  export RUSTFLAGS := $(strip $(RUSTFLAGS) -D warnings)
endif

.PHONY: help db build web run token test test-rust test-web test-e2e stop lint fmt-check fmt clean-db

help: ## List the targets
	@echo "usage: make <target>"
	awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z0-9_-]+:.*## / { printf "  %-9s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	echo
	echo "Database: private cluster in .local/pg unless DATABASE_URL is set."

db: ## Start the private PostgreSQL cluster (no-op if DATABASE_URL is set)
	@$(PG_LOCAL) start

build: ## Build the API binary ($$CARGO_TARGET_DIR or target/, release)
	@$(NEED_CARGO)
	cargo build --release -p combipat-api

web: ## Build the web app into web/dist (installs Node and the npm packages when missing)
	@$(WEB) build

run: db build web ## Migrate, load demo data, serve the API and the web app
	@$(DEV_ENV)
	mkdir -p .local && [ -s .local/master.key ] || (umask 077 && openssl rand -hex 32 > .local/master.key)
	export COMBIPAT_MASTER_KEY_FILE="$${COMBIPAT_MASTER_KEY_FILE:-.local/master.key}"
	$(BIN) migrate
	$(BIN) seed --demo
	bash scripts/mailcatcher.sh start
	export COMBIPAT_SMTP_HOST="$${COMBIPAT_SMTP_HOST:-127.0.0.1}" COMBIPAT_SMTP_PORT="$${COMBIPAT_SMTP_PORT:-$${COMBIPAT_MAIL_SMTP_PORT:-1025}}" COMBIPAT_SMTP_TLS="$${COMBIPAT_SMTP_TLS:-none}" COMBIPAT_PUBLIC_URL="$${COMBIPAT_PUBLIC_URL:-http://$${COMBIPAT_ADDR:-127.0.0.1:8080}}"
	db_shown="$$(sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$$DATABASE_URL")"
	addr="$${COMBIPAT_ADDR:-127.0.0.1:8080}"
	echo
	echo "combipat: open http://$$addr/ in a browser  (database $$db_shown)"
	echo "  Sign in on the \"Accesso\" page as a demo user: e.g. Laura Rossi (operatrice INCA Roma),"
	echo "  Marco Conti (referente regionale Lazio), Stefano Bianchi (sede INPS Roma Centro),"
	echo "  Audit interno (auditor), Ufficio statistico (Cruscotto), Anna Bianchi (cittadina)."
	echo "  Citizens book a counter at http://$$addr/prenota, signed in or not."
	echo "  The demo sign-in exists because this server runs with COMBIPAT_DEV_LOGIN=1 (never in production)."
	echo
	echo "API tokens for curl, signed with this server's JWT secret (run in this checkout):"
	echo '  make token ARGS="--role operator --patronato INCA --office INCA-RM01 --sub op.rossi"'
	echo '  make token ARGS="--role sede_officer --sede 3201 --sub uff.bianchi"'
	echo "or in your own shell, with the same secret and database:"
	echo "  source scripts/dev-env.sh && $(BIN) token --role operator --patronato INCA --office INCA-RM01 --sub op.rossi"
	echo "(if you exported COMBIPAT_JWT_SECRET yourself, export the same value there too)"
	echo "Ctrl-C stops the server; 'make stop' stops the database."
	echo
	export COMBIPAT_WEB_DIR="$${COMBIPAT_WEB_DIR:-web/dist}" COMBIPAT_DEV_LOGIN="$${COMBIPAT_DEV_LOGIN:-1}"
	exec $(BIN) serve

token: build ## Mint a JWT with the dev secret: make token ARGS="--role operator ..."
	@$(DEV_ENV)
	exec $(BIN) token $(ARGS)

test: db ## Build and run every test: Rust (unit, property, database, HTTP) and the web app (types, lint, components, browser)
	@$(MAKE) test-rust test-web test-e2e

test-rust: db ## Build and run the Rust tests (unit, property, database, HTTP)
	@$(NEED_CARGO)
	export COMBIPAT_JWT_SECRET="$${COMBIPAT_JWT_SECRET:-$(TEST_JWT_SECRET)}"
	$(DEV_ENV)
	echo "+ cargo build --workspace --all-targets$(if $(filter 1,$(LINT_IN_BUILD)), (compiled by clippy-driver, -D warnings))"
	cargo build --workspace --all-targets
	echo "+ cargo test --workspace --all-targets"
	cargo test --workspace --all-targets

test-web: ## The web app without a browser: OpenAPI types, type check, lint, component tests
	@echo "+ web: OpenAPI types, type check, lint"
	$(WEB) check
	echo "+ web: component tests"
	$(WEB) unit

test-e2e: db ## The web app in a browser (Playwright + Debian's chromium) against the debug binary of test-rust
	@export COMBIPAT_JWT_SECRET="$${COMBIPAT_JWT_SECRET:-$(TEST_JWT_SECRET)}"
	$(DEV_ENV)
	echo "+ web: browser tests (Playwright + Debian's chromium) against $(TARGET_DIR)/debug/combipat"
	COMBIPAT_BIN="$(TARGET_DIR)/debug/combipat" $(WEB) e2e

stop: ## Stop the private PostgreSQL cluster and the mail catcher
	@$(PG_LOCAL) stop
	bash scripts/mailcatcher.sh stop

lint: fmt-check ## rustfmt check + clippy with warnings as errors
	@$(NEED_CARGO)
	echo "+ cargo clippy --workspace --all-targets -- -D warnings"
	cargo clippy --workspace --all-targets -- -D warnings

fmt-check: ## rustfmt check only
	@$(NEED_CARGO)
	echo "+ cargo fmt --all -- --check"
	cargo fmt --all -- --check

fmt: ## Format the code
	@$(NEED_CARGO)
	cargo fmt --all

clean-db: ## Stop the private cluster and delete its data
	@$(PG_LOCAL) clean

# ------------------------------------------------------------ benchmarks ---
# Issue 7. docs/benchmarks.md (written by `make bench`) and docs/scaling.md.

.PHONY: bench soak cluster cluster-stop

bench: db ## Benchmarks -> docs/benchmarks.md (ARGS=--quick; BENCH_SCALE=n)
	@$(NEED_CARGO)
	$(DEV_ENV)
	echo "+ cargo build --release -p combipat-bench"
	cargo build --release -p combipat-bench
	mkdir -p .local/bench
	echo "+ cargo build --release --manifest-path bench/peers/Cargo.toml (cqrs-es, esrs)"
	if cargo build --release --manifest-path bench/peers/Cargo.toml --target-dir $(TARGET_DIR) >.local/bench/peers-build.log 2>&1; then
		export BENCH_PEERS_BIN="$$(realpath $(TARGET_DIR))/release/combipat-bench-peers"
	else
		reason="$$(grep -m1 -E '^error' .local/bench/peers-build.log || tail -n1 .local/bench/peers-build.log)"
		export BENCH_PEERS_ERROR="bench/peers does not build here: $$reason (.local/bench/peers-build.log)"
		echo "bench: $$BENCH_PEERS_ERROR" >&2
	fi
	# Kernel writeback started early for the run, as on a production host (A41).
	exec bash scripts/host-writeback.sh $(TARGET_DIR)/release/combipat-bench run $(ARGS)

soak: ## Load + SIGKILL/PostgreSQL restarts; checks the log and the projections
	@$(NEED_CARGO)
	exec bash scripts/soak.sh

cluster: ## Primary + streaming replica + 2 API processes (scripts/cluster.sh)
	@$(NEED_CARGO)
	bash scripts/cluster.sh start
	echo "check read-your-writes through the replica: bash scripts/cluster.sh check"

cluster-stop: ## Stop what `make cluster` started
	@bash scripts/cluster.sh stop

# ----------------------------------------------------------------- fuzzing ---
# Issue 23: schemathesis (PyPI, into .local/venv) against the served OpenAPI
# document with every role's token; fails on any 5xx or undocumented status
# code or content type. FUZZ_MAX_EXAMPLES=n per operation (default 10).

.PHONY: fuzz

fuzz: db ## Schemathesis for every role against the real binary (FUZZ_MAX_EXAMPLES=n)
	@$(NEED_CARGO)
	export COMBIPAT_JWT_SECRET="$${COMBIPAT_JWT_SECRET:-$(TEST_JWT_SECRET)}"
	$(DEV_ENV)
	exec bash scripts/fuzz.sh
