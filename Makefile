# Gander's everyday commands. `make test` is what CI runs.
SWIFT ?= swift

.PHONY: build release test bench demo runtime mcp-test-servers clean

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
	python3 scripts/check-dependencies.py
	$(SWIFT) build --build-tests
	$(SWIFT) test

## Measure Gander (release build) side by side with peer agents; writes bench/results/latest.md.
bench:
	bash scripts/install-system-deps.sh
	bash bench/run.sh

clean:
	rm -rf .build
