# GoMLX v0.28.16 needs Go 1.27: the go command fetches go1.27.3 through the
# module proxy (once per machine) whatever Go the machine starts with.
export GOTOOLCHAIN := go1.27.3
# Everything builds with the SIMD experiment: GoMLX's pure-Go matmul is
# 10-20x faster with it.
export GOEXPERIMENT := simd
GO ?= go
GOTESTFLAGS ?=
PKGS ?= ./...

.PHONY: all build test test-short bench bench-memory bench-go lint demo gpu-check soak clean

all: build

## build: the three binaries into bin/ (stamped with the commit, for --version)
build:
	$(GO) build -buildvcs=auto -o bin/ ./cmd/...

## test: every test on the CPU (what CI runs)
test:
	$(GO) test -timeout 45m $(GOTESTFLAGS) $(PKGS)

## test-short: the quick subset
test-short:
	$(GO) test -short -timeout 20m $(GOTESTFLAGS) $(PKGS)

## bench: the compute core beside the PyTorch reference, configs (a) and (b)
## (the reference runs when /usr/bin/python3 has torch; OPENBLAS=DIR points it at OpenBLAS;
## ONNX=/abs/libonnxruntime.so.1 adds an ONNX Runtime column, built with -tags onnx)
bench: build
ifdef ONNX
	$(GO) build -tags onnx -o bin/acecoder-onnx ./cmd/acecoder
	./bin/acecoder-onnx bench compute --backend go,onnx:$(ONNX) $(if $(OPENBLAS),--openblas $(OPENBLAS))
else
	./bin/acecoder bench compute $(if $(OPENBLAS),--openblas $(OPENBLAS))
endif

## bench-memory: peak RSS of one train-policy and one train-rm step of the
## 0.5B shape (LoRA, full, gradient checkpointing) beside acecoder plan
bench-memory: build
	bench/memory/run.sh

## bench-go: every go test benchmark, once
bench-go:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m $(PKGS)

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## demo: the end-to-end small-scale replication (the main job)
demo: build
	./bin/acecoder demo

## gpu-check: CPU/GPU parity of a tiny model and forward tokens/s of a 0.5B-shaped model
## (needs an NVIDIA GPU and jax's CUDA PJRT plugin: make gpu-check PJRT=/abs/xla_cuda_plugin.so)
gpu-check:
	@test -n "$(PJRT)" || { echo "set PJRT=/abs/path/to/xla_cuda_plugin.so"; exit 2; }
	ACECODER_GPU_BACKEND=xla:$(PJRT) GOMLX_NO_AUTO_INSTALL=1 $(GO) test -tags gpu -run TestGPU -v ./policy/

## soak: 20,000 programs through the sandbox; checks for leftovers
soak:
	$(GO) test -tags soak -run TestSoak -timeout 30m ./rewards/

clean:
	rm -rf bin
