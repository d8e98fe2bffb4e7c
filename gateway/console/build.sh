#!/usr/bin/env bash
# Builds the console into $1 (the gateway's Maven build: target/classes/META-INF/resources, served at /).
# npm ci runs only when package-lock.json changed since the last install (a checksum kept in node_modules), so a
# rebuild works offline; the npm registry is needed once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v npm >/dev/null || { echo "console: error: npm is needed to build the web console (Debian: apt-get install npm)" >&2; exit 1; }
stamp=node_modules/.tooltune-lock.sha256
if [[ ! -f "$stamp" ]] || [[ "$(sha256sum package-lock.json)" != "$(cat "$stamp")" ]]; then
  echo "console: npm ci (the packages of gateway/console/package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json >"$stamp"
fi
node build.mjs "${1:?usage: build.sh OUT_DIR}"
