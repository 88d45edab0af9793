#!/usr/bin/env bash
# Make Debian's chromium available for the Playwright smoke test.
# Installs it with apt-get when missing and we are root; otherwise says why the browser test will skip.
# With CI=true a missing browser is an error: the smoke test must run there.
set -u
for candidate in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then exit 0; fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing Debian chromium for the browser smoke test"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null && exit 0
  echo "apt-get could not install chromium" >&2
fi
if [ "${CI:-}" = "true" ]; then
  echo "CI=true: chromium is required for the browser smoke test and could not be installed." >&2
  exit 1
fi
echo "NOTE: chromium not found (install the 'chromium' package); the browser smoke test will skip." >&2
exit 0
