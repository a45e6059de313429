# Quick start:  make demo   (build, then a 5-second server + crr run on 127.0.0.1)
#               make test   (build, then the whole CTest suite)
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)

.PHONY: all setup build demo test asan test-asan clean

all: build

setup:
	@scripts/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/connperf demo

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 300

$(BUILD_ASAN)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNPERF_SANITIZE=ON

asan: setup $(BUILD_ASAN)/CMakeCache.txt
	cmake --build $(BUILD_ASAN) -j $(JOBS)

test-asan: asan
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure --timeout 600

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
