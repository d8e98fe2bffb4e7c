#!/usr/bin/env bash
# Runs the console's browser test (console.e2e.mjs) with what it needs, installed when missing:
#   - Chromium: Debian's `chromium` package (apt-get, when running as root on a machine without it, as on CI), or the
#     binary named by CHROMIUM;
#   - playwright-core: npm ci from package-lock.json (only when the lock changed since the last install).
# The test's settings (CONSOLE_URL, CONSOLE_KEY_A, CONSOLE_KEY_B, ...) come from the environment: see console.e2e.mjs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ -z "${CHROMIUM:-}" ]] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "console-e2e: installing Debian's chromium (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "console-e2e: error: no Chromium: apt-get install chromium (as root), or set CHROMIUM to a Chromium binary" >&2
    exit 1
  fi
fi
command -v npm >/dev/null || { echo "console-e2e: error: npm is needed (Debian: apt-get install npm)" >&2; exit 1; }
stamp=node_modules/.tooltune-lock.sha256
if [[ ! -f "$stamp" ]] || [[ "$(sha256sum package-lock.json)" != "$(cat "$stamp")" ]]; then
  echo "console-e2e: npm ci (playwright-core)"
  npm ci --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json >"$stamp"
fi
exec node console.e2e.mjs
