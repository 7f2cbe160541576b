#!/usr/bin/env bash
# run.sh — the main job on the embedded default configuration: installs what is missing, builds,
# and scans the sample messages in examples/messages, printing what ksmg sees in each: the MIME
# structure, then the object tree (attachments, archive members, true types, flags).
# (Once the relay lands, this starts ksmg-relay on loopback instead.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$(nproc)" ksmg-cli
build/bin/ksmg parse "${@:-examples/messages}"
build/bin/ksmg objects "${@:-examples/messages}"
