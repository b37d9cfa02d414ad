# Gander's everyday commands. `make test` is what CI runs.
SWIFT ?= swift

.PHONY: build release test bench bench-local demo runtime mcp-test-servers clean

build:
	$(SWIFT) build

## An optimised gander with Swift's runtime linked in (scripts/release-build.sh says why).
release:
	bash scripts/install-system-deps.sh
	bash scripts/release-build.sh gander

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
	python3 scripts/check-source.py
	$(SWIFT) build --build-tests
	$(SWIFT) test

## Measure Gander (release build) side by side with peer agents; writes bench/results/latest.md in one go.
bench:
	bash scripts/install-system-deps.sh
	bash bench/run.sh

## The local models on the everyday-task suite (an hour or more); writes bench/results/local.md in one go.
bench-local:
	bash scripts/install-system-deps.sh
	bash bench/run.sh local

clean:
	rm -rf .build
