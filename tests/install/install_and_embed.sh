#!/usr/bin/env bash
# install_and_embed.sh BUILD_DIR EXAMPLE_DIR MESSAGE — proves find_package(ksmg) works from an
# installed prefix: installs the build into a temporary prefix, compiles every installed header
# on its own, builds the embedding example against the prefix, and checks the verdicts it gives:
# the example messages with a virus and with confidential text are rejected, MESSAGE delivered.
set -euo pipefail
build=$1 example=$2 message=$3
examples=$(cd "$example/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
# A public header includes what it uses: each one compiles as the only include.
for header in "$tmp/prefix/include/ksmg/"*.hpp; do
  echo "#include <ksmg/${header##*/}>" |
    "${CXX:-c++}" -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I"$tmp/prefix/include" -x c++ - ||
    { echo "ksmg/${header##*/} does not compile on its own" >&2; exit 1; }
done
cmake -S "$example" -B "$tmp/build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null
status=0
out=$("$tmp/build/embed-example" "$example/embed.toml" "$examples/av-messages/eicar-in-zip.eml" \
  "$examples/content-filter-messages/confidential-outbound.eml" "$message") || status=$?
echo "$out"
[ "$status" = 1 ]  # the verdict acted on a message
grep -q "eicar-in-zip.eml: reject (antivirus: infected" <<<"$out"
grep -q "X-KSMG-AntiVirus-Status: Infected" <<<"$out"
grep -q "confidential-outbound.eml: reject (content_filter: triggered (confidential-outbound))" <<<"$out"
grep -q "${message##*/}: deliver$" <<<"$out"
