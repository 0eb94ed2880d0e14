#!/bin/bash
# Installs the end-to-end test's npm packages (playwright-core, pinned by package-lock.json) into tests/e2e.
# Idempotent and silent when they are there. Never downloads a browser: the test drives Debian's /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
want=$(node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "try { require('./node_modules/playwright-core/package.json').version } catch (e) { '' }")
[ "$want" = "$have" ] && exit 0
echo "installing the e2e test's npm packages (playwright-core $want)"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
