#!/usr/bin/env bash
# Throwaway Ceph cluster on 127.0.0.1 for rbd-ts tests.
#
#   scripts/cluster.sh start [--release pacific|reef|tentacle] [--dir DIR]
#                            [--mons 1|3] [--osds N] [--size N] [--secure]
#                            [--memstore-bytes BYTES] [--pool-pgs N]
#                            [--timeout SECONDS] [--owner-pid PID]
#       Starts mons and memstore OSDs (msgr2 only, cephx everywhere), creates
#       pool "rbd". Every file lives under DIR. Prints DIR as the last line of
#       stdout; progress goes to stderr.
#       --release: the Ceph release to run (default: $RBD_TS_RELEASE, else
#       pacific, the host's packages); reef and tentacle run from the roots of
#       scripts/release.sh (built on first use). DIR/env names the release's
#       tool directory (RBD_TS_TOOLS) for callers that want its ceph/rbd/rados.
#       --owner-pid PID: a watchdog stops the cluster once PID has exited
#       (used by test/helpers/cluster.ts so a killed test never leaks daemons).
#       --mgr: also start a mgr (pool usage and quotas reach the mons through it).
#       --size: pools' replica count (default 1; min_size is size - size/2).
#   scripts/cluster.sh stop DIR
#       Kills every daemon listed in DIR/pids (TERM, then KILL), removes DIR.
#       Idempotent; refuses any DIR without the .rbd-ts-cluster marker.
#   scripts/cluster.sh kill-mon DIR NAME
#       Kills mon NAME (a, b or c) of the cluster in DIR, by its pid.
#   scripts/cluster.sh kill-osd DIR ID [SIGNAL]
#       Kills osd.ID of the cluster in DIR by its pid (SIGNAL: KILL, the default, or TERM).
#   scripts/cluster.sh revive-osd DIR ID | revive-mon DIR NAME
#       Starts osd.ID (or mon.NAME) again. A memstore OSD killed with KILL comes
#       back with the store it had at mkfs, empty: its PGs recover from the
#       other OSDs. A mon keeps its store on disk and rejoins the quorum.
#
# Daemons are only ever signalled by pid, and only if their command line
# mentions DIR: other clusters may run on the same machine.
set -euo pipefail

MARKER=.rbd-ts-cluster
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
if [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=python3; fi

log() { printf '[cluster.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  sed -n '2,30p' "$SELF" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------- helpers ---

# True if pid is alive (not a zombie) and either its command line mentions
# the cluster dir or it is a child of this very script (just forked, not yet
# exec'd: its command line is still ours).
pid_is_ours() {
  local pid=$1 dir=$2 cmd stat
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }               # fields after "(comm) "
  set -- $stat                    # $1 = state, $2 = ppid
  [[ "$1" != Z && "$1" != X ]] || return 1
  [[ "$2" == "$$" ]] && return 0
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmd" == *"$dir"* ]]
}

# wait_gone: up to ~5 s for the pids in the caller's `live` array (of cluster `dir`) to
# exit; keeps the survivors in `live`; fails (1) while any is left.
wait_gone() {
  local i pid
  for ((i = 0; i < 50; i++)); do
    local still=()
    for pid in "${live[@]}"; do
      pid_is_ours "$pid" "$dir" && still+=("$pid")
    done
    ((${#still[@]})) || return 0
    live=("${still[@]}")
    sleep 0.1
  done
  return 1
}

# kill_pids DIR PID... : TERM, wait up to ~5 s, then KILL, wait for exit.
kill_pids() {
  local dir=$1; shift
  local pid live=() i
  for pid in "$@"; do
    if pid_is_ours "$pid" "$dir"; then
      kill -TERM "$pid" 2>/dev/null || true
      live+=("$pid")
    fi
  done
  ((${#live[@]})) || return 0
  wait_gone && return 0
  for pid in "${live[@]}"; do
    log "pid $pid did not exit after TERM; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait_gone && return 0
  log "WARNING: pids still alive after KILL: ${live[*]}"
  return 1
}

# Canonical absolute path of an existing dir that carries our marker; exits
# the script otherwise (call it outside command substitution).
CHECKED_DIR=""
checked_dir() {
  local dir=$1 real
  [[ -n "$dir" ]] || die "no cluster dir given"
  [[ -d "$dir" && ! -L "$dir" ]] || die "$dir is not a directory (or is a symlink); refusing"
  real=$(cd "$dir" && pwd -P)
  [[ "$real" != / ]] || die "refusing to touch /"
  [[ -f "$real/$MARKER" ]] || die "$real has no $MARKER marker: not a cluster dir made by this script; refusing"
  CHECKED_DIR=$real
}

free_port() {
  # A random port below the ephemeral range that nothing listens on now.
  "$PY" - "$@" <<'EOF'
import random, socket, sys
taken = {int(p) for p in sys.argv[1:]}
for _ in range(500):
    p = random.randint(20000, 32000)
    if p in taken:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    sys.exit(0)
sys.exit("no free port found")
EOF
}

# json_get EXPR : read JSON on stdin, print eval(EXPR) with j bound to it.
json_get() {
  "$PY" -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# ------------------------------------------------------------------ stop ----

cmd_stop() {
  (($# == 1)) || usage
  local dir
  if [[ ! -e "$1" ]]; then
    log "$1 does not exist: nothing to stop"
    return 0
  fi
  checked_dir "$1"
  dir=$CHECKED_DIR
  local pids=() pid
  # the watchdog first (unless it is the one calling us)
  if [[ -f "$dir/run/watchdog.pid" ]]; then
    pid=$(<"$dir/run/watchdog.pid")
    if [[ "$pid" != "$PPID" && "$pid" != "$$" ]]; then
      kill_pids "$dir" "$pid" || true
    fi
  fi
  if [[ -f "$dir/pids" ]]; then
    while read -r pid; do
      [[ -n "$pid" ]] && pids+=("$pid")
    done <"$dir/pids"
  fi
  # OSDs before mons: an OSD told to stop first reports to a mon, and waits
  # (osd_mon_shutdown_timeout, 5 s) if no mon is left to answer.
  local ok=0 first=() last=()
  for pid in "${pids[@]}"; do
    if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '^ceph-mon '; then
      last+=("$pid")
    else
      first+=("$pid")
    fi
  done
  if ((${#first[@]})); then kill_pids "$dir" "${first[@]}" || ok=1; fi
  if ((${#last[@]})); then kill_pids "$dir" "${last[@]}" || ok=1; fi
  ((ok == 0)) || die "some daemons of $dir survived; not removing it"
  rm -rf -- "$dir"
  log "stopped and removed $dir"
}

# -------------------------------------------------------------- kill-mon ----

cmd_kill_mon() {
  (($# == 2)) || usage
  local dir name=$2 pid
  checked_dir "$1"
  dir=$CHECKED_DIR
  [[ "$name" =~ ^[a-z]$ ]] || die "bad mon name '$name'"
  [[ -f "$dir/run/mon.$name.pid" ]] || die "no pid file for mon.$name in $dir/run"
  pid=$(<"$dir/run/mon.$name.pid")
  pid_is_ours "$pid" "$dir" || die "mon.$name (pid $pid) is not running"
  kill_pids "$dir" "$pid" || die "mon.$name (pid $pid) would not die"
  rm -f "$dir/run/mon.$name.pid"
  log "killed mon.$name (pid $pid)"
}

# -------------------------------------------------------- kill/revive-osd ----

cmd_kill_osd() {
  (($# == 2 || $# == 3)) || usage
  local dir id=$2 sig=${3:-KILL} pid
  checked_dir "$1"
  dir=$CHECKED_DIR
  [[ "$id" =~ ^[0-9]+$ ]] || die "bad osd id '$id'"
  [[ "$sig" == KILL || "$sig" == TERM ]] || die "signal must be KILL or TERM"
  [[ -f "$dir/run/osd.$id.pid" ]] || die "no pid file for osd.$id in $dir/run"
  pid=$(<"$dir/run/osd.$id.pid")
  pid_is_ours "$pid" "$dir" || die "osd.$id (pid $pid) is not running"
  kill "-$sig" "$pid" 2>/dev/null || die "could not signal osd.$id (pid $pid)"
  local i
  for ((i = 0; i < 100; i++)); do
    pid_is_ours "$pid" "$dir" || break
    sleep 0.05
  done
  pid_is_ours "$pid" "$dir" && die "osd.$id (pid $pid) would not die"
  rm -f "$dir/run/osd.$id.pid"
  log "killed osd.$id (pid $pid, SIG$sig)"
}

cmd_revive() {
  (($# == 3)) || usage
  local type=$1 dir id=$3
  checked_dir "$2"
  dir=$CHECKED_DIR
  [[ "$id" =~ ^[0-9a-z]+$ && -d "$dir/$type/$id" ]] || die "no $type.$id in $dir"
  if [[ -f "$dir/run/$type.$id.pid" ]] && pid_is_ours "$(<"$dir/run/$type.$id.pid")" "$dir"; then
    die "$type.$id is running"
  fi
  # the release's tools, as at start
  local RBD_TS_TOOLS=""
  # shellcheck disable=SC1091
  [[ -f "$dir/env" ]] && source "$dir/env"
  [[ -z "$RBD_TS_TOOLS" ]] || PATH=$RBD_TS_TOOLS:$PATH
  START_DIR=$dir
  start_daemon "$type.$id" "ceph-$type" -f -c "$dir/ceph.conf" -i "$id"
}

# ----------------------------------------------------------------- start ----

START_DIR=""       # set once DIR exists and carries the marker
START_DONE=0

dump_logs() {
  local f
  [[ -n "$START_DIR" && -d "$START_DIR/log" ]] || return 0
  for f in "$START_DIR"/log/*; do
    [[ -f "$f" ]] || continue
    printf '\n===== tail of %s =====\n' "$f" >&2
    if [[ $f == *.log ]]; then
      # daemon logs: skip rocksdb's statistics dumps
      grep -E '^[0-9]{4}-' "$f" | grep -v ' rocksdb: ' | tail -n 25 >&2 || true
    else
      tail -n 25 "$f" >&2 || true
    fi
  done
}

start_cleanup() {
  local rc=$?
  ((START_DONE)) && return 0
  trap - EXIT INT TERM HUP
  log "start failed (rc=$rc); cleaning up"
  dump_logs
  if [[ -n "$START_DIR" && -d "$START_DIR" ]]; then
    if [[ -n "${RBD_TS_KEEP_FAILED:-}" ]]; then
      local pids=()
      [[ -f "$START_DIR/pids" ]] && mapfile -t pids <"$START_DIR/pids"
      ((${#pids[@]})) && kill_pids "$START_DIR" "${pids[@]}" || true
      log "RBD_TS_KEEP_FAILED set: leaving $START_DIR"
    else
      cmd_stop "$START_DIR" || true
    fi
  fi
  ((rc != 0)) || rc=1
  exit "$rc"
}

# start_daemon NAME CMD... : run in foreground mode in the background, record pid
start_daemon() {
  local name=$1; shift
  "$@" </dev/null >>"$START_DIR/log/$name.stdout" 2>&1 &
  local pid=$!
  echo "$pid" >>"$START_DIR/pids"
  echo "$pid" >"$START_DIR/run/$name.pid"
  log "started $name (pid $pid)"
}

cmd_start() {
  local release=${RBD_TS_RELEASE:-pacific} dir="" mons=1 osds=1 size=1 secure=0 mgr=0 mem_bytes=$((4 * 1024 * 1024 * 1024)) pgs=8 timeout=60 owner=""
  while (($#)); do
    case $1 in
      --release) release=${2:?}; shift 2 ;;
      --dir) dir=${2:?}; shift 2 ;;
      --mons) mons=${2:?}; shift 2 ;;
      --osds) osds=${2:?}; shift 2 ;;
      --secure) secure=1; shift ;;
      --size) size=${2:?}; shift 2 ;;
      --mgr) mgr=1; shift ;;
      --memstore-bytes) mem_bytes=${2:?}; shift 2 ;;
      --pool-pgs) pgs=${2:?}; shift 2 ;;
      --timeout) timeout=${2:?}; shift 2 ;;
      --owner-pid) owner=${2:?}; shift 2 ;;
      -h | --help) usage ;;
      *) die "unknown option '$1'" ;;
    esac
  done
  [[ "$mons" == 1 || "$mons" == 3 ]] || die "--mons must be 1 or 3"
  [[ "$osds" =~ ^[1-3]$ ]] || die "--osds must be 1..3"
  [[ "$size" =~ ^[1-3]$ && "$size" -le "$osds" ]] || die "--size must be 1..3 and at most --osds"
  [[ "$mem_bytes" =~ ^[0-9]+$ ]] || die "--memstore-bytes must be a number"
  [[ "$pgs" =~ ^[0-9]+$ && "$pgs" -ge 1 ]] || die "--pool-pgs must be a positive number"
  [[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"
  [[ -z "$owner" || "$owner" =~ ^[0-9]+$ ]] || die "--owner-pid must be a pid"
  local tools min_release
  case $release in
    pacific) min_release=16 ;;
    reef) min_release=18 ;;
    tentacle) min_release=20 ;;
    *) die "--release must be pacific, reef or tentacle" ;;
  esac
  tools=$(bash "$(dirname "$SELF")/release.sh" ensure "$release") || die "release $release is not available"
  [[ -z $tools ]] || PATH=$tools:$PATH
  local t
  for t in ceph-mon ceph-osd ceph rados monmaptool ceph-authtool; do
    command -v "$t" >/dev/null || die "$t not found (run scripts/install-deps.sh)"
  done

  trap start_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP

  local t0=$SECONDS
  if [[ -z "$dir" ]]; then
    dir=$(mktemp -d /tmp/rbd-ts-cluster.XXXXXX)
  else
    if [[ -e "$dir" ]]; then
      [[ -d "$dir" ]] || die "$dir exists and is not a directory"
      [[ -z "$(ls -A "$dir")" ]] || die "$dir exists and is not empty"
    else
      mkdir -p "$dir"
    fi
    dir=$(cd "$dir" && pwd -P)
  fi
  : >"$dir/$MARKER"
  START_DIR=$dir
  mkdir -p "$dir"/{log,run,mon,osd,crash}
  : >"$dir/pids"
  chmod 700 "$dir"

  local conf=$dir/ceph.conf keyring=$dir/keyring
  local fsid names=(a b c) ports=() monhost="" i
  fsid=$(cat /proc/sys/kernel/random/uuid)
  for ((i = 0; i < mons; i++)); do
    ports+=("$(free_port "${ports[@]}")")
    monhost+="${monhost:+,}[v2:127.0.0.1:${ports[i]}]"
  done

  local service_modes=""
  if ((secure)); then
    service_modes=$'ms service mode = secure\nms mon service mode = secure'
  fi

  cat >"$conf" <<EOF
# generated by scripts/cluster.sh: throwaway test cluster
[global]
fsid = $fsid
mon host = $monhost
keyring = $keyring
run dir = $dir/run
crash dir = $dir/crash
ms bind msgr1 = false
ms bind msgr2 = true
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
$service_modes
osd pool default size = $size
osd pool default min size = $((size - size / 2))
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = $mem_bytes

[mon]
mon data = $dir/mon/\$id
log file = $dir/log/\$name.log
mon cluster log file = $dir/log/cluster.log
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
mon data avail warn = 1
mon data avail crit = 0
# default 5 s: a lost ack at start-up (or a killed mon) costs the full timeout
mon election timeout = 2
# default 1 s: every osdmap change (osd new, OSD boot, crush update, pool
# create) waits for the next proposal; start-up makes a dozen of them
paxos propose interval = 0.1

[osd]
osd data = $dir/osd/\$id
keyring = $dir/osd/\$id/keyring
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
public addr = 127.0.0.1
cluster addr = 127.0.0.1
# recovery as fast as the machine allows (a revived memstore OSD comes back empty):
# no sleep between recovery ops (wpq, Pacific's default queue), the mclock profile
# that favours recovery (Quincy+)
osd recovery sleep = 0
osd recovery max active = 8
osd mclock profile = high_recovery_ops
# Debian's Reef and Tentacle builds default to a relative path here
# (lib/x86_64-linux-gnu/rados-classes): no object class would load
osd class dir = /usr/lib/x86_64-linux-gnu/rados-classes
EOF
  printf 'export CEPH_CONF=%q RBD_TS_RELEASE=%q RBD_TS_TOOLS=%q\n' "$conf" "$release" "$tools" >"$dir/env"

  # Keys. The mon is seeded (mkfs) with its own key, client.admin and the OSD
  # keys with their caps, so no "ceph auth add" round trips are needed later.
  ceph-authtool --create-keyring "$keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  chmod 600 "$keyring"
  local seed=$dir/run/mon-seed.keyring
  cp "$keyring" "$seed"
  local osd_uuids=()
  for ((i = 0; i < osds; i++)); do
    mkdir -p "$dir/osd/$i"
    ceph-authtool --create-keyring "$dir/osd/$i/keyring" --gen-key -n "osd.$i" \
      --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
    ceph-authtool "$seed" --import-keyring "$dir/osd/$i/keyring" >/dev/null
    osd_uuids+=("$(cat /proc/sys/kernel/random/uuid)")
  done

  # Monitors
  local monmap=$dir/run/monmap margs=()
  for ((i = 0; i < mons; i++)); do
    margs+=(--addv "${names[i]}" "[v2:127.0.0.1:${ports[i]}]")
  done
  # All features and the release preset: otherwise the first quorum upgrades
  # the monmap and calls a second election, which can cost a 5 s timeout.
  monmaptool --create --enable-all-features --set-min-mon-release "$min_release" --fsid "$fsid" \
    "${margs[@]}" "$monmap" >/dev/null 2>&1 ||
    die "monmaptool failed"
  for ((i = 0; i < mons; i++)); do
    ceph-mon -c "$conf" --mkfs -i "${names[i]}" --monmap "$monmap" --keyring "$seed" \
      >>"$dir/log/mon.${names[i]}.stdout" 2>&1 || die "ceph-mon --mkfs for mon.${names[i]} failed"
  done
  rm -f "$seed"
  for ((i = 0; i < mons; i++)); do
    start_daemon "mon.${names[i]}" ceph-mon -f -c "$conf" -i "${names[i]}"
  done

  local deadline=$((SECONDS + timeout))
  local out
  ceph_q() { timeout 10 ceph -c "$conf" --connect-timeout 8 "$@" 2>>"$dir/log/cluster-sh.stderr"; }
  check_alive() {
    local pid
    while read -r pid; do
      pid_is_ours "$pid" "$dir" || die "daemon pid $pid exited during start-up"
    done <"$dir/pids"
  }
  # wait_quorum N: until at least N mons are in quorum
  wait_quorum() {
    while :; do
      check_alive
      if out=$(ceph_q quorum_status -f json) &&
        (($(json_get 'len(j["quorum_names"])' <<<"$out" 2>/dev/null || echo 0) >= $1)); then
        break
      fi
      ((SECONDS < deadline)) || die "timed out waiting for $1 mon(s) in quorum"
      sleep 0.3
    done
  }
  # A majority is enough to go on with; all mons are awaited at the end.
  log "waiting for mon quorum"
  wait_quorum $((mons / 2 + 1))
  log "quorum formed after $((SECONDS - t0)) s"

  # OSDs: register in the osdmap, mkfs, start.
  for ((i = 0; i < osds; i++)); do
    out=$(ceph_q osd new "${osd_uuids[i]}" "$i") || die "ceph osd new for osd.$i failed"
    [[ "$out" == "$i" ]] || die "ceph osd new returned id '$out', expected $i"
  done
  local mkpids=()
  for ((i = 0; i < osds; i++)); do
    ceph-osd -c "$conf" -i "$i" --mkfs --osd-uuid "${osd_uuids[i]}" --no-mon-config \
      </dev/null >>"$dir/log/osd.$i.stdout" 2>&1 &
    mkpids+=($!)
  done
  for ((i = 0; i < osds; i++)); do
    wait "${mkpids[i]}" || die "ceph-osd --mkfs for osd.$i failed"
  done
  for ((i = 0; i < osds; i++)); do
    start_daemon "osd.$i" ceph-osd -f -c "$conf" -i "$i"
  done

  log "waiting for $osds OSD(s) up and in"
  while :; do
    check_alive
    if out=$(ceph_q osd stat -f json) &&
      [[ "$(json_get '"%d %d %d" % (j["num_osds"], j["num_up_osds"], j["num_in_osds"])' <<<"$out" 2>/dev/null)" == "$osds $osds $osds" ]]; then
      break
    fi
    ((SECONDS < deadline)) || die "timed out waiting for OSDs"
    sleep 0.3
  done
  log "OSDs up after $((SECONDS - t0)) s"

  # (The pool is made once the OSDs are up: made earlier, it kept its
  # "creating" flag and the OSDs took longer to boot.)
  ceph_q osd pool create rbd "$pgs" "$pgs" >/dev/null || die "pool create failed"
  ceph_q osd pool application enable rbd rbd >/dev/null || die "application enable failed"
  out=$(ceph_q osd pool ls) || die "pool ls failed"
  grep -qx rbd <<<"$out" || die "pool rbd missing after creation"
  # Listing visits every PG, so it returns only once all of them are active.
  local left=$((deadline - SECONDS))
  ((left > 5)) || left=5
  timeout "$left" rados -c "$conf" -p rbd ls >/dev/null 2>>"$dir/log/cluster-sh.stderr" ||
    die "PGs of pool rbd did not become active"
  log "pool rbd ready after $((SECONDS - t0)) s"

  if ((mgr)); then
    # A mgr: pool usage (and so pool quotas) reaches the mons only through it.
    mkdir -p "$dir/mgr/x"
    ceph_q auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' \
      -o "$dir/mgr/x/keyring" || die "mgr key creation failed"
    start_daemon "mgr.x" ceph-mgr -f -c "$conf" -i x --mgr-data "$dir/mgr/x" --keyring "$dir/mgr/x/keyring"
    while :; do
      check_alive
      if out=$(ceph_q mgr stat -f json) && [[ "$(json_get 'j["available"]' <<<"$out" 2>/dev/null)" == "True" ]]; then
        break
      fi
      ((SECONDS < deadline)) || die "timed out waiting for the mgr"
      sleep 0.5
    done
    log "mgr available after $((SECONDS - t0)) s"
  fi

  if ((mons > 1)); then
    wait_quorum "$mons"
    log "all $mons mons in quorum after $((SECONDS - t0)) s"
  fi

  if [[ -n "$owner" ]]; then
    # Watchdog: stop the cluster once the owner process is gone.
    setsid bash -c '
      echo $$ >"$2/run/watchdog.pid"
      trap "" HUP INT
      while kill -0 "$3" 2>/dev/null && [[ -e "$2/'"$MARKER"'" ]]; do sleep 1; done
      [[ -e "$2/'"$MARKER"'" ]] && exec bash "$1" stop "$2"
    ' rbd-ts-cluster-watchdog "$SELF" "$dir" "$owner" </dev/null >>"$dir/log/watchdog.log" 2>&1 &
  fi

  START_DONE=1
  trap - EXIT INT TERM HUP
  log "$release cluster ready in $((SECONDS - t0)) s: $mons mon(s), $osds osd(s)$( ((secure)) && echo ', secure mode'); conf $conf"
  printf '%s\n' "$dir"
}

# ------------------------------------------------------------------ main ----

(($#)) || usage
sub=$1; shift
case $sub in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  kill-mon) cmd_kill_mon "$@" ;;
  kill-osd) cmd_kill_osd "$@" ;;
  revive-osd) cmd_revive osd "$@" ;;
  revive-mon) cmd_revive mon "$@" ;;
  -h | --help | help) usage ;;
  *) die "unknown command '$sub'" ;;
esac
