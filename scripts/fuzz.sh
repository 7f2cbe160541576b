#!/usr/bin/env bash
# fuzz.sh — owns running the libFuzzer harnesses of tests/fuzz: which seeds and flags each one
# takes, the build they run from (clang, ASan/UBSan, and every library the harness links
# instrumented for coverage), the smoke run that scripts/test.sh makes, and the longer runs by hand
# that grow the coverage corpus kept in tests/data/fuzz/HARNESS.
#
# Usage: scripts/fuzz.sh smoke [SECONDS]          every harness, for its smoke time
#                                                 (smoke_seconds_of) or SECONDS each; fails on a
#                                                 crash, a leak, a timeout or an out-of-memory
#        scripts/fuzz.sh grow HARNESS SECONDS     one harness; what reaches new edges is merged
#                                                 into tests/data/fuzz/HARNESS (review, commit)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Whole inputs (a message, an attachment's object tree, the two protocols), then one reader each.
harnesses=(fuzz_message fuzz_objects fuzz_smtp fuzz_milter
           fuzz_archive fuzz_7z_decrypt fuzz_rar_decrypt fuzz_tnef fuzz_rtf fuzz_pdf
           fuzz_html_data fuzz_filetype
           fuzz_mime_fields fuzz_mime_decode fuzz_mbox fuzz_config fuzz_expression
           fuzz_spf_record fuzz_dkim_tags fuzz_dns_zone)

# The test material of the given file name patterns, wherever it lies (the corpora left out).
named() {
  local pattern args=()
  for pattern; do args+=(${args[@]:+-o} -name "$pattern"); done
  find tests/data examples -path tests/data/fuzz -prune -o -type f \( "${args[@]}" \) -print
}

# The seed folders and files of a harness (their files of up to 64 KiB are used); its coverage
# corpus is tests/data/fuzz/HARNESS.
seeds_of() {
  case $1 in
    fuzz_message) echo tests/data/mime examples/messages ;;
    # Archives, TNEF, true types and the anti-virus samples.
    fuzz_objects) echo tests/data/archives tests/data/tnef tests/data/truetype tests/data/av ;;
    fuzz_smtp) echo tests/data/smtp ;;
    fuzz_milter) echo tests/data/milter-seeds ;;
    fuzz_archive) echo tests/data/archives tests/data/av-rar tests/data/truetype ;;
    # 7z archives encrypted with the harness's password, and libarchive's 7z samples.
    fuzz_7z_decrypt) echo tests/data/archives/7z-encrypted; named 'test_read_format_7zip*' ;;
    # RAR archives; libarchive's encrypted ones use the harness's password.
    fuzz_rar_decrypt) named '*.rar' ;;
    fuzz_tnef) echo tests/data/tnef ;;
    fuzz_rtf) named '*.rtf' ;;
    fuzz_pdf) named '*.pdf' ;;
    fuzz_html_data) named '*.html' '*.htm'; echo tests/data/phishing/clamav ;;
    fuzz_filetype) echo tests/data/truetype ;;
    # Header sections and bodies of messages; HTML for the HTML-to-text reader.
    fuzz_mime_fields) echo tests/data/mime examples/messages ;;
    fuzz_mime_decode) echo tests/data/mime tests/data/phishing/clamav ;;
    fuzz_mbox) named '*.mbox*'; echo examples/messages ;;
    fuzz_config) named '*.toml' ;;
    # Dictionaries, and the configurations whose expressions name them.
    fuzz_expression) named '*.dict' '*.toml' ;;
    # The SPF records of the openspf suites' zone data, one a line (tests/data/spf/to_json.py).
    fuzz_spf_record) echo tests/data/spf/seeds ;;
    # The DKIM test messages (signature fields, bodies) and key records.
    fuzz_dkim_tags) echo tests/data/dkim ;;
    # Master files: the test zones and the harness's corpus.
    fuzz_dns_zone) echo tests/data/dns ;;
    *) echo "fuzz.sh: unknown harness $1 (${harnesses[*]})" >&2; return 1 ;;
  esac
}

# Seconds of a harness in the smoke run of scripts/test.sh: the whole-input harnesses get 30, a
# single reader, small and fast, 10 (its corpus replays in well under a second).
smoke_seconds_of() {
  case $1 in
    fuzz_message | fuzz_objects | fuzz_smtp | fuzz_milter) echo 30 ;;
    *) echo 10 ;;
  esac
}

# libFuzzer flags of a harness. The object and archive harnesses reach Debian's libarchive 3.6.2
# and liblzma, whose readers reserve what a hostile header asks for (a 4 GiB LZMA dictionary,
# calloc of 5 GB for a 7z file count, 12 GiB from the 109-byte RAR5 input
# tests/data/fuzz/fuzz_archive/0c63dd83*): virtual memory the kernel maps lazily (ksmg objects
# reads that RAR5 as an archive with one empty member in 13 MB of RSS), so the malloc cap is
# raised and RSS stays capped at 2 GiB; ASan takes seconds to poison such a block on free, hence
# the longer per-input timeout.
flags_of() {
  case $1 in
    fuzz_objects | fuzz_archive | fuzz_7z_decrypt | fuzz_rar_decrypt) echo "-timeout=25 -malloc_limit_mb=16384" ;;
    *) echo "-timeout=5" ;;
  esac
}

# One seed is left out: it reproduces a use-after-free inside libarchive 3.6.2's RAR5 reader (fixed
# in 3.7.5, libarchive PR #2265) that no code of ours can avoid; see libarchive_reader.cpp.
skipped_seeds="test_read_format_rar5_data_ready_pointer_leak.rar"

build() {
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DKSMG_BUILD_FUZZERS=ON \
    -DKSMG_BUILD_TESTS=OFF -DKSMG_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build-fuzz -j"$(nproc)" "$@"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run HARNESS SECONDS [CORPUS_OUT]: the harness over copies of its seeds and over its corpus, run
# inside a folder of its own (a failing input is written there as crash-*/timeout-*/oom-*); new
# inputs go to CORPUS_OUT when given, else among the copies. Prints libFuzzer's coverage at start
# and at the end.
run() {
  local harness=$1 seconds=$2 out=${3:-} dir="$work/$1"
  mkdir -p "$dir/seeds"
  # shellcheck disable=SC2046 # folder list
  find $(seeds_of "$harness") -type f ! -name SOURCE.md ! -name '*.jsonl' ! -name '*.tsv' \
    -size -64k -exec cp {} "$dir/seeds/" \;
  for f in $skipped_seeds; do rm -f "$dir/seeds/$f"; done
  # shellcheck disable=SC2046 # flags are words
  if ! (cd "$dir" && "$OLDPWD/build-fuzz/bin/$harness" -max_total_time="$seconds" -max_len=65536 \
        -rss_limit_mb=2048 $(flags_of "$harness") ${out:+"$out"} seeds \
        "$OLDPWD/tests/data/fuzz/$harness" >"$dir/fuzz.log" 2>&1); then
    tail -40 "$dir/fuzz.log" >&2
    # The failing input outlives the work folder, for the unit test and the corpus.
    mkdir -p "build-fuzz/failures/$harness"
    find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \
      -o -name 'leak-*' \) -exec cp {} "build-fuzz/failures/$harness/" \;
    echo "$harness found a failing input (see above; kept in build-fuzz/failures/$harness)" >&2
    return 1
  fi
  local first last
  first=$(grep -m1 -o 'INITED cov: [0-9]*' "$dir/fuzz.log" | grep -o '[0-9]*$' || true)
  last=$(grep -o 'cov: [0-9]*' "$dir/fuzz.log" | tail -1 | grep -o '[0-9]*$' || true)
  echo "$harness: $(grep -E "^Done" "$dir/fuzz.log"), edges covered ${first:-?} at start, ${last:-?} at the end"
}

case ${1:-} in
  smoke)
    build "${harnesses[@]}"
    for h in "${harnesses[@]}"; do run "$h" "${2:-$(smoke_seconds_of "$h")}"; done
    ;;
  grow)
    [[ $# -eq 3 ]] || { sed -n '7,11p' "$0" >&2; exit 2; }
    seeds_of "$2" >/dev/null
    build "$2"
    mkdir -p "$work/new" "$work/merged" "tests/data/fuzz/$2"
    run "$2" "$3" "$work/new"
    # Only what reaches new edges, smallest inputs first, and none of the seeds themselves.
    # shellcheck disable=SC2046
    (cd "$work/$2" && "$OLDPWD/build-fuzz/bin/$2" -merge=1 -use_counters=0 -use_value_profile=0 \
       -max_len=65536 -rss_limit_mb=2048 $(flags_of "$2") "$work/merged" \
       "$OLDPWD/tests/data/fuzz/$2" seeds "$work/new" >"$work/merge.log" 2>&1)
    for f in "$work/$2"/seeds/*; do rm -f "$work/merged/$(sha1sum "$f" | cut -c1-40)"; done
    rm -f "tests/data/fuzz/$2"/*
    cp "$work/merged"/* "tests/data/fuzz/$2/" 2>/dev/null || true
    echo "tests/data/fuzz/$2: $(find "tests/data/fuzz/$2" -type f | wc -l) inputs ($(grep -o 'MERGE-OUTER: [0-9]* new files.*' "$work/merge.log"))"
    ;;
  *)
    sed -n '7,11p' "$0" >&2
    exit 2
    ;;
esac
