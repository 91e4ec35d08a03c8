#!/usr/bin/env bash
# Installs the system packages glacierfs builds and runs with, and the Python clients the
# interoperability tests drive. Debian/Ubuntu; run as root or with sudo available.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

packages=(libfuse3-dev fuse3 libcurl4-openssl-dev libssl-dev libsqlite3-dev pkg-config rsync attr curl ca-certificates)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== apt: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c 'import boto3, botocore' 2>/dev/null || ! command -v aws >/dev/null; then
    echo "== pip: installing awscli and boto3"
    python3 -m pip --version >/dev/null 2>&1 || {
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip >/dev/null
    }
    # Debian 12 marks its Python as externally managed (PEP 668); these are test clients only.
    python3 -m pip install --quiet awscli boto3 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages awscli boto3
fi

if ! command -v swift >/dev/null; then
    echo "swift is not on PATH: install the Swift 6 toolchain from https://www.swift.org/install/linux/" >&2
    exit 1
fi
