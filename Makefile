# Quick start:  make demo   (build, then a 5-second server + crr run on 127.0.0.1)
#               make test   (build, then the whole CTest suite)
#               make fuzz   (libFuzzer targets of tests/fuzz, FUZZ_SECONDS each; clang-16)
#               make test-tsan (ThreadSanitizer build, then the multi-threaded tests)
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
# ccache, when the machine has it, makes rebuilds in fresh clones and worktrees cheap.
LAUNCHER   := $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

.PHONY: all setup build demo test asan test-asan fuzz fuzz-build tsan test-tsan clean

all: build

setup:
	@scripts/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(LAUNCHER)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/connperf demo

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 300

$(BUILD_ASAN)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNPERF_SANITIZE=ON $(LAUNCHER)

asan: setup $(BUILD_ASAN)/CMakeCache.txt
	cmake --build $(BUILD_ASAN) -j $(JOBS)

test-asan: asan
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure --timeout 600

# Fuzzing: each target compiles only the sources it needs, with clang-16's libFuzzer, ASan and
# UBSan; tests/fuzz/run.sh runs each for FUZZ_SECONDS on a copy of its seed corpus.
BUILD_FUZZ   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_CXX     ?= clang++-16
FUZZ_FLAGS   := -std=c++20 -g -O1 -fno-omit-frame-pointer -Isrc -Itests/fuzz \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS := request_framer response_framer chunked_decoder proxy_head address duration
fuzz_src_request_framer  := src/proto/http.cpp
fuzz_src_response_framer := src/proto/http.cpp
fuzz_src_chunked_decoder := src/proto/http.cpp
fuzz_src_proxy_head      := src/proto/http.cpp src/proto/http_head.cpp src/proxy/rewrite.cpp
fuzz_src_address         := src/net/address.cpp
fuzz_src_duration        := src/cli/duration.cpp
fuzz_libs_proxy_head     := -lfmt
fuzz_libs_duration       := -lfmt

define fuzz_rule
$(BUILD_FUZZ)/$(1): tests/fuzz/$(1).cpp $(fuzz_src_$(1)) $(wildcard tests/fuzz/*.h src/*/*.h) | setup
	@mkdir -p $(BUILD_FUZZ)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -o $$@ tests/fuzz/$(1).cpp $(fuzz_src_$(1)) $(fuzz_libs_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

fuzz-build: $(addprefix $(BUILD_FUZZ)/,$(FUZZ_TARGETS))

fuzz: fuzz-build
	tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

# ThreadSanitizer: its own build, then the tests whose engines run more than one thread.
BUILD_TSAN ?= build-tsan
TSAN_TESTS ?= ^TwoThreads\.|^Server/Models\..*/"(epoll|thread)"$$|^EpollModel\.|^Proxy\.(AbCompletes|ConnectTunnel|PipelinedRequests|ChunkedUpload)|^RrIntegration\.EchoPayload

$(BUILD_TSAN)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNPERF_SANITIZE=thread $(LAUNCHER)

tsan: setup $(BUILD_TSAN)/CMakeCache.txt
	cmake --build $(BUILD_TSAN) -j $(JOBS) --target connperf integration_tests

test-tsan: tsan
	cd $(BUILD_TSAN) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  ctest --output-on-failure --timeout 600 -R '$(TSAN_TESTS)'

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_TSAN)
