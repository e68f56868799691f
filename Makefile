# Thin wrapper: CMake does the real work. `make run` and `make test` are the README's two commands.
BUILD ?= build
JOBS  ?= $(shell nproc)
ARGS  ?=

.PHONY: all build deps test-deps run test unit clean bench

all: build

deps:
	@bash deploy/install-deps.sh

test-deps:
	@bash deploy/install-deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p data
	./$(BUILD)/vole deploy/vole.conf $(ARGS)

test: test-deps build
	@bash tests/run-all.sh $(BUILD)

unit: build
	@cd $(BUILD) && ctest --output-on-failure

bench: test-deps build
	@bash tests/bench/vs-redis.sh

clean:
	rm -rf $(BUILD)
