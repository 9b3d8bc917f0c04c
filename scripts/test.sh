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
#   5. the fault suite (test/faults) on a cluster of 3 mons, 3 OSDs and a mgr of release
#      RBD_TS_FAULT_RELEASE (default pacific; none skips it).
# Exits non-zero if any step failed; the last line is a summary.
#
# Environment: RBD_TS_RELEASES narrows the matrix (e.g. RBD_TS_RELEASES=pacific for a quick
# local run). RBD_TS_UNIT_TIMEOUT, RBD_TS_CLUSTER_TIMEOUT, RBD_TS_FAULT_TIMEOUT (seconds;
# 300, 780 and 900) bound the ava runs: on expiry the whole process group (npx, ava, its worker processes
# and what they started) is stopped, so no orphan keeps the output pipe open. After a failed
# cluster run the cluster's state (ceph -s, osd df) is printed before it is stopped.
# Extra arguments are passed to every ava run.
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

# run_suite NAME RELEASE TIMEOUT GLOB -- CLUSTER_START_ARGS...: a throwaway cluster of RELEASE,
# its own ceph/rbd/rados/python3-rbd as the oracles (RBD_TS_TOOLS first on PATH), the tests of
# GLOB against it (ava --serial), then the cluster stopped.
run_suite() {
  local name=$1 rel=$2 limit=$3 glob=$4 t=$SECONDS tools out
  shift 5
  log "starting a $rel cluster for $name ($*)"
  if ! tools=$(bash scripts/release.sh ensure "$rel"); then
    step_done "$name-start" FAILED "$t"
    return
  fi
  # cluster.sh prints the dir on the last line of stdout; progress goes to stderr
  if out=$(bash scripts/cluster.sh start --release "$rel" "$@") && CLUSTER_DIR=$(tail -n 1 <<<"$out") && [[ -f $CLUSTER_DIR/ceph.conf ]]; then
    step_done "$name-start" ok "$t"
    t=$SECONDS
    log "$name tests against $CLUSTER_DIR/ceph.conf"
    if (
      export CEPH_CONF=$CLUSTER_DIR/ceph.conf RBD_TS_RELEASE=$rel RBD_TS_TOOLS=$tools
      [[ -z $tools ]] || export PATH=$tools:$PATH
      rc=0
      ava_run timeout -k 30 "$limit" npx ava --serial "$glob" "${AVA_ARGS[@]}" || rc=$?
      echo "PASSED_N=$PASSED_N FAILED_N=$FAILED_N" >"$AVA_LOG.counts"
      ((rc == 0)) || cluster_state
      exit "$rc"
    ); then
      step_done "$name-tests" ok "$t"
    else
      step_done "$name-tests" FAILED "$t"
    fi
    [[ -f $AVA_LOG.counts ]] && source "$AVA_LOG.counts"
    rm -f "$AVA_LOG.counts"
    log "stopping the $name cluster"
    bash scripts/cluster.sh stop "$CLUSTER_DIR" || FAILED=1
    CLUSTER_DIR=""
  else
    CLUSTER_DIR=""
    step_done "$name-start" FAILED "$t"
  fi
}
AVA_ARGS=("$@")

# 4. cluster tests, once per release: 1 mon, 3 OSDs, 1 mgr
t=$SECONDS
if has_tests test/cluster; then
  IFS=', ' read -r -a RELEASES <<<"$RBD_TS_RELEASES"
  for rel in "${RELEASES[@]}"; do
    run_suite "$rel" "$rel" "${RBD_TS_CLUSTER_TIMEOUT:-780}" 'test/cluster/**/*.test.ts' -- --osds 3 --mgr
  done
else
  step_done cluster-tests "skipped (no test files)" "$t"
fi

# 5. the fault suite, on one release (RBD_TS_FAULT_RELEASE, default pacific; "none" skips it):
#    3 mons, 3 OSDs, 1 mgr; daemons killed and revived by pid, Ceph's fault injection
t=$SECONDS
FAULT_RELEASE=${RBD_TS_FAULT_RELEASE:-pacific}
if has_tests test/faults && [[ $FAULT_RELEASE != none ]]; then
  run_suite "faults-$FAULT_RELEASE" "$FAULT_RELEASE" "${RBD_TS_FAULT_TIMEOUT:-900}" 'test/faults/**/*.test.ts' -- --mons 3 --osds 3 --size 3 --mgr
else
  step_done faults "skipped" "$t"
fi

exit "$FAILED"
