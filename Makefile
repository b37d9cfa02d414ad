# Gander's everyday commands. `make test` is what CI runs.
SWIFT ?= swift

.PHONY: build release test bench demo runtime mcp-test-servers clean

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

## Set everything up and run a task on the embedded model, offline.
demo:
	bash scripts/demo.sh

## Install the embedded runtime (llama.cpp and the default model) that the local-model tests use.
runtime: build
	bash scripts/install-system-deps.sh
	"$$($(SWIFT) build --show-bin-path)/gander" local install

## The real MCP servers the tests talk to (pinned, from PyPI, into ~/.cache/gander-dev/mcp-venv).
mcp-test-servers:
	bash scripts/install-mcp-test-servers.sh

## Build everything and run every test (offline: scripted model servers, the real embedded runtime, real MCP servers).
test: runtime mcp-test-servers
	$(SWIFT) build --build-tests
	$(SWIFT) test

## Measure start-up, one headless turn and the per-tool-round-trip harness time (release build).
bench: release
	bash bench/run.sh

clean:
	rm -rf .build
