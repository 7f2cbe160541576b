#!/usr/bin/env bash
# install-deps.sh — installs every Debian package that ksmg's build, tests and benches need.
# Idempotent: does nothing (and needs no network) when everything is already installed.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config
  # libksmg
  libicu-dev libssl-dev libmagic-dev zlib1g-dev libhyperscan-dev libtomlplusplus-dev libclamav-dev
  liblzma-dev
  # front-ends (the relay: standalone Asio for its coroutines, OpenSSL for STARTTLS)
  nlohmann-json3-dev libasio-dev openssl
  # tests: GoogleTest, pytest for end-to-end, GMime for the differential tests (C for
  # ksmg-gmime-diff, PyGObject's for the red team of tests/redteam), clang + its runtime for
  # the libFuzzer harnesses
  googletest libgtest-dev libgmock-dev python3 python3-pytest libgmime-3.0-dev python3-gi
  gir1.2-gmime-3.0 clang libclang-rt-14-dev
  # the relay's end-to-end peers: swaks (with its TLS modules) and aiosmtpd as SMTP client and
  # server, Postfix for smtp-source/smtp-sink and as the relay we are compared with
  swaks libnet-ssleay-perl libio-socket-ssl-perl python3-aiosmtpd postfix
  # the milter: libmilter's wire constants (mfdef.h, mfapi.h), and miltertest as a scripted MTA
  libmilter-dev miltertest
  # the Python module (pybind11 for Debian's python3) and installing it with pip without network
  pybind11-dev python3-dev python3-pip python3-setuptools python3-wheel python3-venv
  # benches: Google Benchmark, and the peers we compare with
  libbenchmark-dev libmimetic-dev libgumbo-dev libarchive-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The SpamAssassin corpus comes from the npm registry: npm is needed, from wherever it is.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  # Postfix is installed unconfigured and not started: the tests run private instances of it.
  echo "postfix postfix/main_mailer_type select No configuration" |
    "${sudo_cmd[@]}" debconf-set-selections
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi
