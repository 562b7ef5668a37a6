# Everything builds with the SIMD experiment: GoMLX's pure-Go matmul is
# 10-20x faster with it.
export GOEXPERIMENT := simd
GO ?= go
GOTESTFLAGS ?=
PKGS ?= ./...

.PHONY: all build test test-short bench lint demo gpu-check clean

all: build

## build: the three binaries into bin/
build:
	$(GO) build -o bin/ ./cmd/...

## test: every test on the CPU (what CI runs)
test:
	$(GO) test -timeout 45m $(GOTESTFLAGS) $(PKGS)

## test-short: the quick subset
test-short:
	$(GO) test -short -timeout 20m $(GOTESTFLAGS) $(PKGS)

## bench: every benchmark, once (see the README for the tables)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m $(PKGS)

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## demo: the end-to-end small-scale replication (the main job)
demo: build
	./bin/acecoder demo

clean:
	rm -rf bin
