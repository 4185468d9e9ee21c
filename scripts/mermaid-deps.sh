#!/usr/bin/env bash
# The Mermaid renderer the report tests run for real: Debian's chromium plus mermaid-cli (mmdc 11),
# installed with npm into .tools/mermaid (git-ignored), never into the system. Idempotent and quiet:
# nothing happens when chromium, mmdc and puppeteer.json are already there. Uses sudo only when not
# root. PUPPETEER_SKIP_DOWNLOAD=1 because puppeteer's own browser download cannot work here (only
# package registries are reachable); .tools/mermaid/puppeteer.json points it at /usr/bin/chromium.
# Exits non-zero with one line when it cannot install: scripts/test.sh then stops, since a report
# test without the renderer would not be the real thing.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=.tools/mermaid
MMDC="$DIR/node_modules/.bin/mmdc"
CHROMIUM=/usr/bin/chromium
MMDC_VERSION="^11"

install_chromium() {
  [ -x "$CHROMIUM" ] && return 0
  local sudo=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "mermaid-deps: chromium is missing and this is not root (no sudo)" >&2; return 1; }
    sudo=sudo
  fi
  command -v apt-get >/dev/null 2>&1 || { echo "mermaid-deps: no apt-get here; install chromium at $CHROMIUM" >&2; return 1; }
  export DEBIAN_FRONTEND=noninteractive
  local apt=($sudo apt-get install -y -qq --no-install-recommends chromium)
  if ! "${apt[@]}" >/dev/null 2>&1; then
    # a fresh image has no package lists yet: fetch them once and retry
    $sudo apt-get update -qq >/dev/null 2>&1 && "${apt[@]}" >/dev/null 2>&1 \
      || { echo "mermaid-deps: 'apt-get install chromium' failed" >&2; return 1; }
  fi
}

install_mmdc() {
  [ -x "$MMDC" ] && return 0
  command -v npm >/dev/null 2>&1 || { echo "mermaid-deps: npm is not installed (Node.js >= 18 needed)" >&2; return 1; }
  mkdir -p "$DIR"
  [ -f "$DIR/package.json" ] || echo '{"private": true}' > "$DIR/package.json"
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error \
    "@mermaid-js/mermaid-cli@$MMDC_VERSION" >/dev/null \
    || { echo "mermaid-deps: 'npm install @mermaid-js/mermaid-cli' failed" >&2; return 1; }
}

write_puppeteer_config() {
  # rewritten every time (cheap) so a changed flag list here always reaches the tests
  cat > "$DIR/puppeteer.json" <<EOF
{
  "executablePath": "$CHROMIUM",
  "args": ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
}
EOF
}

install_chromium
install_mmdc
write_puppeteer_config
