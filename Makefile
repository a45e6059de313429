# Quick start:  make demo   (build the binary only, then a 5-second server + crr run on 127.0.0.1)
#               make test   (build, then the whole CTest suite)
#               make install [PREFIX=/usr/local] [DESTDIR=...]   make uninstall   make deb
#               make fuzz   (libFuzzer targets of tests/fuzz, FUZZ_SECONDS each; clang-16)
#               make test-tsan (ThreadSanitizer build, then the multi-threaded tests)
# Each target first installs, with apt, only the packages its job needs (scripts/setup.sh).
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
DESTDIR    ?=
# ccache, when the machine has it, makes rebuilds in fresh clones and worktrees cheap.
LAUNCHER   := $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

.PHONY: all setup setup-build setup-package build demo test install uninstall deb asan test-asan \
        fuzz fuzz-build tsan test-tsan clean

all: build

setup:
	@scripts/setup.sh test
setup-build:
	@scripts/setup.sh build
setup-package:
	@scripts/setup.sh package

$(BUILD)/CMakeCache.txt: | setup-build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(LAUNCHER)

# Everything configured: the binary, the MPI module (when Open MPI is installed), man pages and
# completions, and the tests (when GoogleTest is installed; make test installs it).
build: setup-build $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The binary alone (and the MPI module when Open MPI is installed): no tests are built.
demo: setup-build $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target connperf
	./$(BUILD)/connperf demo

# Configured once with the tests required, after setup installed GoogleTest (a build directory
# first configured by make demo has none).
$(BUILD)/.tests-on: | setup $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) -DCONNPERF_TESTS=ON
	touch $@

test: setup $(BUILD)/.tests-on
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure --timeout 300 --no-tests=error

# cmake --install honours DESTDIR; what it installed (install_manifest.txt, without DESTDIR) is
# kept with DESTDIR for make uninstall (cpack overwrites install_manifest.txt with its own paths).
install: setup-build $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target connperf connperf_docs
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)
	awk -v d='$(DESTDIR)' '{ print d $$0 }' $(BUILD)/install_manifest.txt >$(BUILD)/installed_files.txt

uninstall:
	scripts/uninstall.sh $(BUILD)/installed_files.txt

# build/connperf_VERSION_ARCH.deb; configured again so an Open MPI installed since is found.
deb: setup-package $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD)
	cmake --build $(BUILD) -j $(JOBS) --target connperf connperf_docs
	cd $(BUILD) && cpack -G DEB

$(BUILD_ASAN)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNPERF_SANITIZE=ON -DCONNPERF_TESTS=ON $(LAUNCHER)

asan: setup $(BUILD_ASAN)/CMakeCache.txt
	cmake --build $(BUILD_ASAN) -j $(JOBS)

test-asan: asan
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure --timeout 600 --no-tests=error

# Fuzzing: each target compiles only the sources it needs, with clang-16's libFuzzer, ASan and
# UBSan; tests/fuzz/run.sh runs each for FUZZ_SECONDS on a copy of its seed corpus.
BUILD_FUZZ   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_CXX     ?= clang++-16
FUZZ_FLAGS   := -std=c++20 -g -O1 -fno-omit-frame-pointer -Isrc -Itests/fuzz \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS := request_framer response_framer chunked_decoder proxy_head address duration criteria \
                cpu_list
fuzz_src_request_framer  := src/proto/http.cpp
fuzz_src_response_framer := src/proto/http.cpp
fuzz_src_chunked_decoder := src/proto/http.cpp
fuzz_src_proxy_head      := src/proto/http.cpp src/proto/http_head.cpp src/proxy/rewrite.cpp
fuzz_src_address         := src/net/address.cpp
fuzz_src_duration        := src/run/duration.cpp
fuzz_libs_proxy_head     := -lfmt
fuzz_libs_duration       := -lfmt
fuzz_src_criteria        := src/run/criteria.cpp src/run/duration.cpp src/run/verdict.cpp \
                            src/stats/client_stats.cpp src/stats/histogram.cpp src/stats/format.cpp \
                            src/net/error.cpp
fuzz_libs_criteria       := -lfmt
fuzz_src_cpu_list        := src/loop/cpus.cpp
fuzz_libs_cpu_list       := -lfmt

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
TSAN_TESTS ?= ^TwoThreads\.|^Server/Models\..*/"(epoll|thread)"$$|^EpollModel\.|^Proxy\.(AbCompletes|ConnectTunnel|PipelinedRequests|ChunkedUpload)|^RrIntegration\.EchoPayload|^ConnLogIntegration\.(CrrRecordPerConnection|BlockedWriterDrops)|^Models/ServerConnLog\..*/"(epoll|thread)"$$|^TlsServerModels\.ThreadTls13|^TlsRr\.OneHandshakePerConnectionTls1|^TlsCrr\.ExactAccountingTls13

$(BUILD_TSAN)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNPERF_SANITIZE=thread -DCONNPERF_TESTS=ON $(LAUNCHER)

tsan: setup $(BUILD_TSAN)/CMakeCache.txt
	cmake --build $(BUILD_TSAN) -j $(JOBS) --target connperf integration_tests

test-tsan: tsan
	cd $(BUILD_TSAN) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  ctest --output-on-failure --timeout 600 -R '$(TSAN_TESTS)'

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_TSAN)
