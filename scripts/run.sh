#!/usr/bin/env bash
# run.sh — the main job on the embedded default configuration: installs what is missing, builds,
# and runs ksmg-relay in the foreground on 127.0.0.1:2525 with the built-in configuration: every
# module on, loopback clients trusted, every message scanned and delivered into
# .run/relay/maildir/new (the relay's maildir next hop), rejected ones kept in .run/relay/backup.
# The anti-virus module uses ClamAV's databases in /var/lib/clamav when clamav-freshclam has put
# them there, else the test database of examples/clamav (the EICAR and ClamAV test files).
# Arguments go to ksmg-relay (e.g. --listen 127.0.0.1:2600, --config FILE). Ctrl-C stops it
# gracefully; scripts/scan-examples.sh shows what ksmg sees in the sample messages instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$(nproc)" ksmg-relay ksmg-cli
av_db=(--av-db examples/clamav)
if compgen -G "/var/lib/clamav/*.c[lv]d" >/dev/null; then av_db=(); fi
mkdir -p .run/relay
cat <<'HOW'
ksmg-relay starts on 127.0.0.1:2525. From another terminal:
  swaks --server 127.0.0.1:2525 --from you@example.net --to someone@example.org    # delivered
  swaks --server 127.0.0.1:2525 --from you@example.net --to someone@example.org \
        --data examples/av-messages/eicar-in-zip.eml                              # 550, infected
  ls .run/relay/maildir/new .run/relay/backup
HOW
exec build/bin/ksmg-relay "${av_db[@]}" --data-dir .run/relay "$@"
