#!/usr/bin/env bash
# scan-examples.sh — installs what is missing, builds the ksmg command line tool, and scans the
# sample messages in examples/messages, printing what ksmg sees in each: the MIME
# structure, the object tree (attachments, archive members, true types, flags), and the verdict
# of a scan on the built-in defaults and with the example content filter. The anti-virus module
# uses ClamAV's databases in /var/lib/clamav when clamav-freshclam has put them there, else the
# test database of examples/clamav (the EICAR and ClamAV test files; see its README).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$(nproc)" ksmg-cli
av_db=(--av-db examples/clamav)
if compgen -G "/var/lib/clamav/*.c[lv]d" >/dev/null; then av_db=(); fi
build/bin/ksmg parse "${@:-examples/messages}"
build/bin/ksmg objects "${@:-examples/messages}"
# Exit status 1 means the policy acted on a message: that is a result here, not a failure.
if [ $# -eq 0 ]; then
  build/bin/ksmg scan "${av_db[@]}" examples/messages examples/av-messages || [ $? -eq 1 ]
  set -- examples/messages examples/content-filter-messages
else
  build/bin/ksmg scan "${av_db[@]}" "$@" || [ $? -eq 1 ]
fi
build/bin/ksmg scan "${av_db[@]}" --config examples/content-filter.toml "$@" || [ $? -eq 1 ]
