# Gander's everyday commands. `make test` is what CI runs.
SWIFT ?= swift

.PHONY: build release test bench clean

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

## Build everything and run every test (offline; the model servers are scripted).
test:
	$(SWIFT) build --build-tests
	$(SWIFT) test

## Measure start-up, one headless turn and the per-tool-round-trip harness time (release build).
bench: release
	bash bench/run.sh

clean:
	rm -rf .build
