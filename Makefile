# dbmig — see README.md.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin

# Packages whose concurrency the race detector checks.
RACE_PKGS := ./format/ ./readers/... ./writers/... ./transforms/... ./checksum/... ./migrate/... ./internal/testdb/ ./internal/command/

.PHONY: build test test-unit lint deps demo bench bench-pg bench-mysql fuzz clean

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

demo: deps build
	@scripts/demo.sh

# On ../shared/bench's dataset (SCALE=1 by default), in one run:
# PG→PG dbextract|dbload against the raw binary COPY pipe and pgcopydb clone;
# MariaDB→PG dbextract|dbconvert|dbload against pgloader.
bench: bench-pg bench-mysql

bench-pg: build
	@scripts/bench.sh

bench-mysql: build
	@scripts/bench-mysql.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime 60s ./format/

clean:
	rm -rf $(BIN)
