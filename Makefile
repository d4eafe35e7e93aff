# The README's two commands:  make demo  and  make check.
# Both first install whatever Debian packages are missing (apt), then build with CMake.
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= 2
CMAKE_ARGS ?=

DEBIAN_PACKAGES = g++ clang-14 libclang-rt-14-dev cmake make pkg-config \
  libboost1.74-dev libbotan-2-dev librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev \
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libpcap-dev \
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins \
  libstrongswan-standard-plugins tshark graphviz iproute2 util-linux jq

.PHONY: deps build demo check check-asan clean diagrams coverage-report

deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The demo needs only the ikeref executable (a few minutes on 2 cores), not the test targets.
demo: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target ikeref
	$(BUILD)/ikeref demo --out $(BUILD)/demo

# Every test: unit and property tests, the parsing layers again under ASan/UBSan, then the
# strongSwan interop tests (network namespaces). As root, a skipped interop test is a failure.
check: build check-asan
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE interop
	JOBS=$(JOBS) tests/fuzz/run.sh 60
	cd $(BUILD) && ctest --output-on-failure -L interop | tee interop-ctest.log
	@grep -q '100% tests passed' $(BUILD)/interop-ctest.log || { echo "interop tests failed"; exit 1; }
	@if [ "$$(id -u)" = 0 ] && grep -qiE 'skipped|not run' $(BUILD)/interop-ctest.log; then \
	    echo "interop tests were skipped while running as root: failing"; exit 1; fi

# The codec and core (everything that parses peer input) under AddressSanitizer and UBSan.
check-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DIKEREF_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(BUILD_ASAN) -j $(JOBS) --target codec_tests core_tests
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS) -L 'codec_tests|core_tests'

# Regenerates the diagrams a test compares with the tables (spec-notes/diagrams/README.md).
diagrams: build
	$(BUILD)/ikeref model --format dot > spec-notes/diagrams/tables.dot
	$(BUILD)/ikeref model --format markdown > spec-notes/diagrams/tables.md
	-command -v dot >/dev/null && dot -Tsvg spec-notes/diagrams/tables.dot > spec-notes/diagrams/tables.svg

# Regenerates spec-notes/rfc7296/coverage.md (RFC 7296 requirement -> code and tests), which
# Requirements_coverage.report_is_fresh (conformance_tests) compares with the tree.
coverage-report: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target conformance_tests
	IKEREF_WRITE_COVERAGE=1 $(BUILD)/tests/conformance_tests --gtest_filter='Requirements_coverage.report_is_fresh'

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
