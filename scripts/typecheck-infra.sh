#!/usr/bin/env bash
# Type-checks sst.config.ts against SST's platform types. `sst install` builds .sst/platform from the
# npm registry alone (no Pulumi download, no AWS): about 300 MB and a minute, once.
set -euo pipefail
cd "$(dirname "$0")/.."
# NEON_PROJECT_ID adds the Neon provider (per-stage branches), so its types are checked as well.
if ! grep -q '_neon' .sst/platform/config.d.ts 2>/dev/null; then
  NEON_PROJECT_ID="${NEON_PROJECT_ID:-typecheck}" SST_STAGE="${SST_STAGE:-typecheck}" \
    SST_SKIP_DEPENDENCY_CHECK=1 SST_TELEMETRY_DISABLED=1 NO_BUN=1 npm_config_ignore_scripts=true \
    npx sst install
fi
npx tsc -p tsconfig.infra.json --noEmit
echo "sst.config.ts type-checks against SST $(node -p "require('./node_modules/sst/package.json').version")"
