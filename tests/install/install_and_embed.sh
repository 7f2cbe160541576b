#!/usr/bin/env bash
# install_and_embed.sh BUILD_DIR EXAMPLE_DIR MESSAGE — proves find_package(ksmg) works from an
# installed prefix: installs the build into a temporary prefix, builds the embedding example
# against it, and checks the example's output for the message.
set -euo pipefail
build=$1 example=$2 message=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$example" -B "$tmp/build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null
out=$("$tmp/build/embed-example" "$message")
echo "$out"
grep -q "parts: 3" <<<"$out"
grep -q "image/gif" <<<"$out"
