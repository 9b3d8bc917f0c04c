#!/usr/bin/env bash
# The whole rbd-ts suite in one command (npm test, .ci/run):
#   1. scripts/install-deps.sh   (Ceph packages, node_modules)
#   2. npm run build             (tsc; a failure stops here)
#   3. unit tests                (ava test/unit/**/*.test.ts)
#   4. for each release of RBD_TS_RELEASES (default pacific,reef,tentacle): a throwaway
#      cluster of that release (1 mon, 3 OSDs, 1 mgr) and the cluster tests against it
#      (CEPH_CONF, RBD_TS_RELEASE and RBD_TS_TOOLS exported, the release's tools first on
#      PATH; ava --serial test/cluster/**/*.test.ts); each cluster is stopped after its run,
#      and on exit.
# Exits non-zero if any step failed; the last line is a summary.
#
# Environment: RBD_TS_RELEASES narrows the matrix (e.g. RBD_TS_RELEASES=pacific for a quick
# local run). RBD_TS_UNIT_TIMEOUT, RBD_TS_CLUSTER_TIMEOUT (seconds; 300 and 780)
# bound the two ava runs: on expiry the whole process group (npx, ava, its worker processes
# and what they started) is stopped, so no orphan keeps the output pipe open. After a failed
# cluster run the cluster's state (ceph -s, osd df) is printed before it is stopped.
# Extra arguments are passed to both ava runs.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

T0=$SECONDS
export RBD_TS_RELEASES=${RBD_TS_RELEASES:-pacific,reef,tentacle}
CLUSTER_DIR=""
PASSED_N=0
FAILED_N=0
AVA_LOG=$(mktemp /tmp/rbd-ts-ava.XXXXXX)

# run ava, echo its output, and add its "N tests passed / N tests failed" to the totals
ava_run() {
  local rc
  set -o pipefail
  "$@" 2>&1 | tee "$AVA_LOG"
  rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -Eo '^ *[0-9]+ tests? passed' "$AVA_LOG" | grep -Eo '[0-9]+' | tail -n 1)
  f=$(grep -Eo '^ *[0-9]+ (tests? failed|uncaught exceptions?|unhandled rejections?)' "$AVA_LOG" | awk '{s+=$1} END {print s+0}')
  PASSED_N=$((PASSED_N + ${p:-0}))
  FAILED_N=$((FAILED_N + ${f:-0}))
  # a run that failed without a count (crash, timeout) counts as one failure
  if ((rc != 0)) && [[ -z ${f:-} || ${f:-0} -eq 0 ]]; then FAILED_N=$((FAILED_N + 1)); fi
  return "$rc"
}
declare -a SUMMARY=()
FAILED=0

log() { printf '\n[test.sh] %s\n' "$*" >&2; }

step_done() { # NAME STATUS START
  SUMMARY+=("$1 $2 ($((SECONDS - $3))s)")
  [[ $2 == ok || $2 == skipped* ]] || FAILED=1
}

summary() {
  local verdict=PASS
  ((FAILED)) && verdict=FAIL
  local joined="" item
  for item in "${SUMMARY[@]}"; do joined+="${joined:+, }$item"; done
  printf '\n[test.sh] %s in %ds: %s\n' "$verdict" $((SECONDS - T0)) "$joined"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$CLUSTER_DIR" ]]; then
    log "stopping cluster $CLUSTER_DIR"
    bash scripts/cluster.sh stop "$CLUSTER_DIR" || FAILED=1
    CLUSTER_DIR=""
  fi
  summary
  rm -f "$AVA_LOG"
  # a failed step with no failing test to show for it (build, cluster start) still counts
  if ((FAILED && FAILED_N == 0)); then FAILED_N=1; fi
  printf 'tests: %d passed, %d failed\n' "$PASSED_N" "$FAILED_N"
  ((rc == 0 && FAILED)) && rc=1
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; FAILED=1; exit 130' INT
trap 'log "terminated"; FAILED=1; exit 143' TERM

# what the cluster looked like when a cluster run failed (a full OSD or stuck PGs explain a hang)
cluster_state() {
  log "cluster state after the failure"
  local c
  for c in "status" "osd df" "pg stat" "health detail"; do
    # shellcheck disable=SC2086
    timeout 20 ceph -c "$CEPH_CONF" --connect-timeout 10 $c 2>&1 | sed 's/^/  /' || true
  done
}

has_tests() { [[ -d $1 ]] && [[ -n "$(find "$1" -name '*.test.ts' -print -quit)" ]]; }

# 1. dependencies
t=$SECONDS
log "installing dependencies"
if bash scripts/install-deps.sh; then step_done deps ok "$t"; else step_done deps FAILED "$t"; exit 1; fi

# 2. build
t=$SECONDS
log "npm run build"
if npm run --silent build; then step_done build ok "$t"; else step_done build FAILED "$t"; exit 1; fi

# 3. unit tests
t=$SECONDS
if has_tests test/unit; then
  log "unit tests"
  if ava_run timeout -k 30 "${RBD_TS_UNIT_TIMEOUT:-300}" npx ava 'test/unit/**/*.test.ts' "$@"; then
    step_done unit ok "$t"
  else
    step_done unit FAILED "$t"
  fi
else
  step_done unit "skipped (no test files)" "$t"
fi

# 4. cluster tests, once per release: a throwaway cluster of that release (1 mon, 3 OSDs,
#    1 mgr), its own ceph/rbd/rados/python3-rbd as the oracles (RBD_TS_TOOLS first on PATH)
t=$SECONDS
if has_tests test/cluster; then
  IFS=', ' read -r -a RELEASES <<<"$RBD_TS_RELEASES"
  for rel in "${RELEASES[@]}"; do
    t=$SECONDS
    log "starting a $rel cluster (1 mon, 3 OSDs, 1 mgr)"
    if ! tools=$(bash scripts/release.sh ensure "$rel"); then
      step_done "$rel-start" FAILED "$t"
      continue
    fi
    # cluster.sh prints the dir on the last line of stdout; progress goes to stderr
    if out=$(bash scripts/cluster.sh start --release "$rel" --osds 3 --mgr) && CLUSTER_DIR=$(tail -n 1 <<<"$out") && [[ -f $CLUSTER_DIR/ceph.conf ]]; then
      step_done "$rel-start" ok "$t"
      t=$SECONDS
      log "$rel cluster tests against $CLUSTER_DIR/ceph.conf"
      if (
        export CEPH_CONF=$CLUSTER_DIR/ceph.conf RBD_TS_RELEASE=$rel RBD_TS_TOOLS=$tools
        [[ -z $tools ]] || export PATH=$tools:$PATH
        rc=0
        ava_run timeout -k 30 "${RBD_TS_CLUSTER_TIMEOUT:-780}" npx ava --serial 'test/cluster/**/*.test.ts' "$@" || rc=$?
        echo "PASSED_N=$PASSED_N FAILED_N=$FAILED_N" >"$AVA_LOG.counts"
        ((rc == 0)) || cluster_state
        exit "$rc"
      ); then
        step_done "$rel-tests" ok "$t"
      else
        step_done "$rel-tests" FAILED "$t"
      fi
      [[ -f $AVA_LOG.counts ]] && source "$AVA_LOG.counts"
      rm -f "$AVA_LOG.counts"
      log "stopping the $rel cluster"
      bash scripts/cluster.sh stop "$CLUSTER_DIR" || FAILED=1
      CLUSTER_DIR=""
    else
      CLUSTER_DIR=""
      step_done "$rel-start" FAILED "$t"
    fi
  done
else
  step_done cluster-tests "skipped (no test files)" "$t"
fi

exit "$FAILED"
