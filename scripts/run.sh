#!/usr/bin/env bash
# run.sh — the main job on the embedded default configuration: installs what is missing, builds,
# and scans the sample messages in examples/messages, printing what ksmg sees in each: the MIME
# structure, the object tree (attachments, archive members, true types, flags), and the verdict
# of a scan on the built-in defaults and with the example content filter.
# (Once the relay lands, this starts ksmg-relay on loopback instead.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$(nproc)" ksmg-cli
build/bin/ksmg parse "${@:-examples/messages}"
build/bin/ksmg objects "${@:-examples/messages}"
# Exit status 1 means the policy acted on a message: that is a result here, not a failure.
build/bin/ksmg scan "${@:-examples/messages}" || [ $? -eq 1 ]
if [ $# -eq 0 ]; then set -- examples/messages examples/content-filter-messages; fi
build/bin/ksmg scan --config examples/content-filter.toml "$@" || [ $? -eq 1 ]
