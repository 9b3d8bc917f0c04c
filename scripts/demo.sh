#!/usr/bin/env bash
# rbd-ts demo: install dependencies, build, and run the rbd-ts CLI against a
# cluster: the one CEPH_CONF names, or a throwaway one (1 mon, 1 OSD) that is
# stopped again on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[demo] %s\n' "$*" >&2; }

bash scripts/install-deps.sh
log "building"
npm run --silent build

CLUSTER_DIR=""
stop_cluster() {
  if [[ -n "$CLUSTER_DIR" ]]; then
    bash scripts/cluster.sh stop "$CLUSTER_DIR" || true
    CLUSTER_DIR=""
  fi
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n "${CEPH_CONF:-}" ]]; then
  log "using the cluster of CEPH_CONF=$CEPH_CONF"
else
  log "starting a throwaway cluster (1 mon, 1 OSD)"
  out=$(bash scripts/cluster.sh start --mons 1 --osds 1)
  CLUSTER_DIR=$(tail -n 1 <<<"$out")
  export CEPH_CONF=$CLUSTER_DIR/ceph.conf
fi

log "rbd-ts status -c $CEPH_CONF"
node dist/src/cli/main.js status -c "$CEPH_CONF"
