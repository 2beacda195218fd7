# dbmig — see README.md.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin

# Packages whose concurrency the race detector checks.
RACE_PKGS := ./format/ ./readers/... ./writers/... ./transforms/... ./checksum/... ./migrate/... ./internal/testdb/ ./internal/command/

.PHONY: build test test-unit lint deps demo demo-pg bench bench-pg bench-mysql bench-cdc bench-check fuzz clean

build:
	$(GO) build -o $(BIN)/ ./cmd/...

deps:
	@scripts/deps.sh

# The whole suite against real servers (throwaway ones started by the tests);
# a missing server fails the run instead of skipping.
test: deps lint
	DBMIG_REQUIRE_SERVERS=1 $(GO) test -count=1 ./...
	DBMIG_REQUIRE_SERVERS=1 $(GO) test -count=1 -race $(RACE_PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt needed: $$out"; exit 1; }
	$(GO) vet ./...
	@scripts/check-deps.sh

# MariaDB -> PostgreSQL with dbmigrate: migrate with live writes, cutover, validate, report.
demo: deps build
	@scripts/demo.sh

# PostgreSQL -> PostgreSQL with the single-purpose binaries (dbcdc | dbload --apply, dbcheck).
demo-pg: deps build
	@scripts/demo-pg.sh

# On ../shared/bench's dataset (SCALE=1 by default), in one run:
# PG→PG dbextract|dbload against the raw binary COPY pipe and pgcopydb clone;
# MariaDB→PG dbextract|dbconvert|dbload against pgloader.
bench: bench-pg bench-mysql

bench-pg: build
	@scripts/bench.sh

bench-mysql: build
	@scripts/bench-mysql.sh

# Change replication PG→PG: dbcdc | dbload --apply against CREATE SUBSCRIPTION, lag at
# 1,000 / 2,000 / unthrottled pgbench tps and the drain of a 1 M-row-change backlog.
bench-cdc: build
	@scripts/bench-cdc.sh

# dbcheck on two copies of the 10 M-row events table (equal, one value changed), against
# one full scan of each side; MariaDB against its migrated PostgreSQL copy.
bench-check: build
	@scripts/bench-check.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime 60s ./format/

clean:
	rm -rf $(BIN)
