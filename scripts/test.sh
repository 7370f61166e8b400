#!/usr/bin/env bash
# The test command: sets up what is missing, then runs the whole suite against the real PostgreSQL
# (DRIFTLOOP_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) and a real
# Temporal dev server that the suite starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TEMPORAL_CLI_PATH="${TEMPORAL_CLI_PATH:-$PWD/.driftloop/venv/bin/temporal}"
export PATH="$PWD/.driftloop/venv/bin:$PATH"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && [ -z "${DRIFTLOOP_TEST_DATABASE_URL:-}" ]; then
  # Machines of this project's kind run PostgreSQL as a Debian cluster; start it if it was stopped.
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
npx eslint . && npx prettier --check . && npx tsc --noEmit
mkdir -p .driftloop
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=.driftloop/vitest-results.json "$@"
status=$?
set -e
# A plain closing line that any CI reads the same way.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".driftloop/vitest-results.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || true
exit $status
