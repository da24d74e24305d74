# Vigil: the two commands are `make demo` and `make test`.
# Each first installs missing Debian packages (scripts/deps.sh), then builds.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake

.PHONY: all deps build build-asan demo test bench fuzz clean

all: build

deps:
	@sh scripts/deps.sh

# Release build (optimised, warnings as errors) for the demo and benchmarks.
build: deps
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
	@$(CMAKE) --build build -j $(JOBS)

# ASan + UBSan build that `make test` runs.
build-asan: deps
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVG_SANITIZE=ON >/dev/null
	@$(CMAKE) --build build-asan -j $(JOBS)

demo: build
	@rm -rf out/demo && mkdir -p out/demo
	./build/vigil demo --dir out/demo

# The optimised build is compiled too: -O2 enables warnings (-Werror) that
# the sanitizer build at -O0 does not see, and `make demo` must not break.
test: build build-asan
	cd build-asan && ctest --output-on-failure -j $(JOBS)

# Benchmarks print their figures; none of them gates anything.
bench: build
	./build/bench_ingest
	./build/bench_log
	./build/bench_sim
	sh bench/findings_api.sh build
	sh bench/live_alerts.sh build
	sh bench/fusion_stress.sh build 1 2 3 4
	sh bench/attribution.sh build 1 2 3 4 5 6 7 8
	SEEDS="1 2 3 4" sh bench/rules.sh build quiet withdrawal

fuzz: deps
	@$(CMAKE) -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DVG_FUZZ=ON -DVG_SANITIZE=ON -DBUILD_TESTING=OFF >/dev/null
	@$(CMAKE) --build build-fuzz -j $(JOBS)
	@mkdir -p fuzz/findings
	@# Each target FUZZ_SECONDS (default 60); new inputs go to fuzz/findings/<name>,
	@# crashes to fuzz/findings/<name>-crash-*; FUZZ_TARGETS="note proof" picks some.
	@set -e; for n in $${FUZZ_TARGETS:-$(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))}; do \
		mkdir -p fuzz/findings/$$n; \
		dict=; [ -f fuzz/$$n.dict ] && dict=-dict=fuzz/$$n.dict; \
		echo "== fuzz_$$n"; \
		./build-fuzz/fuzz_$$n -max_total_time=$${FUZZ_SECONDS:-60} \
			-artifact_prefix=fuzz/findings/$$n- $$dict \
			fuzz/findings/$$n fuzz/corpus/$$n; \
	done

clean:
	rm -rf build build-asan build-fuzz out
