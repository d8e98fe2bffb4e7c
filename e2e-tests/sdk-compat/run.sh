#!/usr/bin/env bash
# The official OpenAI SDKs against a running gateway: compat.py (Python `openai`, requirements.txt) and compat.mjs
# (Node `openai`, package-lock.json), installed when missing:
#   - Python: a venv under $TOOLTUNE_CACHE (default ~/.cache/tooltune)/sdk-compat-venv, pip install -r
#     requirements.txt (pip's configured index or mirror), again only when requirements.txt changed;
#   - Node: npm ci from package-lock.json (the npm registry), again only when the lock changed.
# Settings (environment): TOOLTUNE_GATEWAY_URL, TOOLTUNE_API_KEY, TOOLTUNE_RATE_KEY (optional, used up by the rate
# limit check), TOOLTUNE_BASE_MODEL; see compat.py. Arguments: words that select checks by name (both scripts).
# Both scripts always run; the exit status is 1 if either failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
: "${TOOLTUNE_GATEWAY_URL:?set TOOLTUNE_GATEWAY_URL (scripts/stack.sh env prints it)}"
: "${TOOLTUNE_API_KEY:?set TOOLTUNE_API_KEY (scripts/admin.sh create-key --tenant NAME)}"

venv="${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}/sdk-compat-venv"
if [[ ! -f "$venv/.requirements" ]] || ! cmp -s requirements.txt "$venv/.requirements"; then
  echo "sdk-compat: installing the Python SDK into $venv (pip install -r requirements.txt)"
  python3 -m venv "$venv"
  # --retries 0: where the default index is unreachable (an offline CI with a local mirror), each package would
  # otherwise wait through five retries before pip takes it from the mirror.
  "$venv/bin/pip" install -q --disable-pip-version-check --retries 0 --timeout 15 -r requirements.txt
  cp requirements.txt "$venv/.requirements"
fi
command -v npm >/dev/null || { echo "sdk-compat: error: npm is needed (Debian: apt-get install npm)" >&2; exit 1; }
stamp=node_modules/.tooltune-lock.sha256
if [[ ! -f "$stamp" ]] || [[ "$(sha256sum package-lock.json)" != "$(cat "$stamp")" ]]; then
  echo "sdk-compat: npm ci (openai)"
  npm ci --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json >"$stamp"
fi

status=0
"$venv/bin/python" -u compat.py "$@" || status=1
node compat.mjs "$@" || status=1
exit $status
