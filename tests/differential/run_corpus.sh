#!/usr/bin/env bash
# run_corpus.sh — owns the gmime_diff_corpus ctest step: fetch the SpamAssassin corpus if needed
# (scripts/fetch-corpus.sh, idempotent), then run ksmg-gmime-diff over it.
# Usage: run_corpus.sh PATH/TO/ksmg-gmime-diff REPO_ROOT
set -euo pipefail
diff_tool="$1"
repo_root="$2"
# fetch-corpus.sh prints the corpus directory as its last line; its progress goes to stderr.
corpus="$("$repo_root/scripts/fetch-corpus.sh" </dev/null | tail -n 1)"
[[ -d "$corpus" ]] || { echo "run_corpus.sh: fetch-corpus.sh gave no directory" >&2; exit 1; }
exec "$diff_tool" "$corpus"
