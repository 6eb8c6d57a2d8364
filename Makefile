# irflow's build, test and benchmark entry points. `make test` is the one test
# command: the README and .ci/run both call it. It needs Go 1.26.8, a C compiler
# (go-sqlite3 is cgo), PostgreSQL, which scripts/test-postgres installs from
# Debian's packages and starts when missing, versitygw, which
# scripts/test-versitygw installs with go install, and Chromium for the browser
# tests, which scripts/test-chromium installs from Debian's packages when missing;
# `go test` fetches the modules.

GO       ?= go
# cgo must be on: without a C compiler go-sqlite3 builds a stub that fails at run
# time, so fail the build instead.
export CGO_ENABLED = 1

# Fuzz targets `make fuzz-short` runs, as package:Target. Each runs FUZZTIME
# (coverage-guided, with its committed seed corpus in testdata/fuzz/Target); the
# seed corpora of these and of every other Fuzz function (the CLI escaper, the
# declare limits) also run as plain tests in `go test`. Run one longer with
# `make fuzz-short FUZZTIME=10m FUZZ=./internal/facts:FuzzParse`.
FUZZ ?= ./internal/facts:FuzzParseRoundTrip ./playbooks:FuzzParse ./playbooks/regimes:FuzzLoadFS ./internal/zendesk:FuzzResponseDecoding \
	./internal/slackbot:FuzzVerify ./internal/slackbot:FuzzSlashCommand ./internal/intake:FuzzParseRecognise
FUZZTIME ?= 4s

.PHONY: test build dev bench lint fuzz-short

## test: run every test once, uncached (cmd/irflow/readme_test.go runs the README's
# walkthrough), with a test PostgreSQL running, versitygw installed and Chromium
# installed (IRFLOW_TEST_POSTGRES, IRFLOW_TEST_VERSITYGW and IRFLOW_TEST_CHROMIUM
# name them; the PostgreSQL and S3 tests fail without them; the browser tests skip
# only where Chromium cannot be installed, and say so).
test:
	dsn="$$(scripts/test-postgres)" && gw="$$(scripts/test-versitygw)" && chromium="$$(scripts/test-chromium)" && \
	IRFLOW_TEST_POSTGRES="$$dsn" IRFLOW_TEST_VERSITYGW="$$gw" IRFLOW_TEST_CHROMIUM="$$chromium" $(GO) test -count=1 -timeout 20m ./...
	$(MAKE) fuzz-short

## fuzz-short: run each fuzz target in FUZZ for FUZZTIME (4 s each by default);
## a failing input is written to the package's testdata/fuzz and fails the run
fuzz-short:
	@set -e; for t in $(FUZZ); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg; \
	done

## build: build the irflow binary into bin/irflow. The first build compiles the
## embedded Temporal server (4 to 12 minutes); -v names each package as it is
## compiled, so a long first build shows its progress. Later builds take seconds.
build:
	@echo "building bin/irflow (the first build compiles the embedded Temporal server: 4 to 12 minutes; packages are listed as they compile)"
	$(GO) build -v -o bin/irflow ./cmd/irflow

## dev: build, then run irflow dev (embedded Temporal, store, worker, HTTP API and
## the Zendesk simulator) on ./.irflow until Ctrl-C
dev: build
	./bin/irflow dev

## bench: run every committed benchmark once with irflow bench: one table (figure,
## unit, target, pass or fail) and bench.json; exit 1 when a target is not met.
## The scale-out benchmarks need the test PostgreSQL and versitygw, started here as
## for make test.
bench: build
	dsn="$$(scripts/test-postgres)" && gw="$$(scripts/test-versitygw)" && \
	IRFLOW_TEST_POSTGRES="$$dsn" IRFLOW_TEST_VERSITYGW="$$gw" ./bin/irflow bench --benchtime 1x --out bench.json

## lint: gofmt must list no file, go vet must pass, go.mod must be tidy
lint:
	$(GO) mod tidy -diff
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt: these files need formatting:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
