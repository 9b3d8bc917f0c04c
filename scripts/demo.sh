#!/usr/bin/env bash
# rbd-ts demo, the main job: on the cluster CEPH_CONF names, or on a throwaway one (1 mon,
# 3 OSDs) started here, with a real glance-api (Debian's, installed if missing) storing images
# in the cluster's pool `images`: upload a 256 MiB image through Glance, make 20 disks by clone
# and 1 by copy, print the time per disk and the ratio, check the bytes, clean up everything.
# Extra arguments go to scripts/demo.ts (--size-mib, --clones, --parallel, --pool, --boot-many),
# except --release pacific|reef|tentacle: the throwaway cluster's Ceph release (scripts/release.sh;
# default pacific). On Tentacle, whose keys are aes256k, Glance's user gets an aes key
# (glance.sh --legacy-key): Debian 12's glance-api cannot read aes256k keys; rbd-ts uses aes256k.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

release=${RBD_TS_RELEASE:-pacific}
args=()
while (($#)); do
  case $1 in
    --release) release=${2:?--release needs a value}; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- "${args[@]+"${args[@]}"}"

log() { printf '[demo] %s\n' "$*" >&2; }
t_start=$(date +%s.%N)

RBD_TS_RELEASES=$release bash scripts/install-deps.sh
tools=$(bash scripts/release.sh ensure "$release")
[[ -z $tools ]] || export PATH=$tools:$PATH
export RBD_TS_RELEASE=$release RBD_TS_TOOLS=$tools

CLUSTER_DIR=""
GLANCE_DIR=""
cleanup() {
  if [[ -n "$GLANCE_DIR" ]]; then
    bash scripts/glance.sh stop "$GLANCE_DIR" || true
    GLANCE_DIR=""
  fi
  if [[ -n "$CLUSTER_DIR" ]]; then
    bash scripts/cluster.sh stop "$CLUSTER_DIR" || true
    CLUSTER_DIR=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n "${CEPH_CONF:-}" ]]; then
  log "using the cluster of CEPH_CONF=$CEPH_CONF"
else
  log "starting a throwaway $release cluster (1 mon, 3 OSDs)"
  out=$(bash scripts/cluster.sh start --release "$release" --mons 1 --osds 3)
  CLUSTER_DIR=$(tail -n 1 <<<"$out")
  export CEPH_CONF=$CLUSTER_DIR/ceph.conf
fi

log "starting glance-api (sqlite, no Keystone, rbd store in pool 'images')"
glance_args=()
[[ -n $CLUSTER_DIR ]] && glance_args+=(--legacy-key) # a throwaway cluster: glance.sh may change its auth policy
out=$(bash scripts/glance.sh start "$CEPH_CONF" --pool images "${glance_args[@]+"${glance_args[@]}"}")
GLANCE_DIR=$(tail -n 2 <<<"$out" | head -n 1)
GLANCE_URL=$(tail -n 1 <<<"$out")

status=0
node --import=tsx scripts/demo.ts --conf "$CEPH_CONF" --glance-url "$GLANCE_URL" "$@" || status=$?
cleanup
log "done in $(printf '%.0f' "$(echo "$(date +%s.%N) - $t_start" | bc)") s"
exit "$status"
