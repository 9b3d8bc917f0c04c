#!/usr/bin/env bash
# A real glance-api (Debian's, OpenStack Zed) on loopback, storing images in a cluster's RBD
# pool, with sqlite and no Keystone (as run with Debian 12's glance-api 2:25.1.0).
#
#   bash scripts/glance.sh start CEPH_CONF [--pool images] [--port N] [--owner-pid PID] [--legacy-key]
#       prints the state directory, then the URL, as the last two stdout lines;
#       --owner-pid PID: a watchdog stops glance-api once PID has exited
#       --legacy-key: Glance's user is client.glance with an aes key, and aes joins the cluster's
#       allowed cephx ciphers. Debian 12's glance-api loads librbd 16.2, which cannot read the
#       aes256k keys of a Tentacle cluster; use it on throwaway clusters only (it changes the
#       cluster's auth policy). Without it, an aes256k client.admin key is refused here.
#   bash scripts/glance.sh stop DIR
#       SIGTERM to the pid in DIR/glance-api.pid, waits for it, removes DIR
#
# Everything lives in a temp dir: client ceph.conf, glance-api.conf, sqlite db, logs, staging.
set -euo pipefail

log() { printf '[glance.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

conf_get() { # conf_get CONF NAME: a [global] value, via ceph-conf (as the daemons read it)
  ceph-conf -c "$1" --name client.admin --lookup "$2" 2>/dev/null || true
}

start() {
  local conf="" pool="images" port="" owner="" legacy=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --legacy-key) legacy=1; shift ;;
      --pool) pool="$2"; shift 2 ;;
      --port) port="$2"; shift 2 ;;
      --owner-pid) owner="$2"; shift 2 ;;
      -*) die "unknown option $1" ;;
      *) conf="$1"; shift ;;
    esac
  done
  [[ -n "$conf" && -f "$conf" ]] || die "usage: glance.sh start CEPH_CONF [--pool P] [--port N] [--owner-pid PID]"
  [[ -z "$owner" || "$owner" =~ ^[0-9]+$ ]] || die "--owner-pid must be a pid"
  command -v glance-api >/dev/null || die "glance-api is not installed (scripts/install-deps.sh --glance)"
  conf=$(readlink -f "$conf")
  local fsid mon keyring
  fsid=$(conf_get "$conf" fsid)
  mon=$(conf_get "$conf" mon_host)
  keyring=$(conf_get "$conf" keyring)
  [[ -n "$fsid" && -n "$mon" ]] || die "cannot read fsid / mon host from $conf"
  keyring=$(readlink -f "${keyring%%,*}")

  # the image pool, created and rbd-initialised when missing; every command bounded (pool
  # init writes to the new pool and waits for its PGs to go active)
  local pools
  pools=$(timeout -k 5 60 ceph -c "$conf" --connect-timeout 30 osd pool ls) || die "ceph osd pool ls failed or timed out"
  if ! grep -qx "$pool" <<<"$pools"; then
    timeout -k 5 60 ceph -c "$conf" --connect-timeout 30 osd pool create "$pool" >/dev/null 2>&1 || die "ceph osd pool create $pool failed or timed out"
    timeout -k 5 120 rbd -c "$conf" pool init "$pool" || die "rbd pool init $pool failed or timed out"
    log "created pool $pool"
  fi

  local dir
  dir=$(mktemp -d /tmp/rbd-ts-glance.XXXXXX)
  mkdir -p "$dir/etc" "$dir/log" "$dir/state/lock" "$dir/state/image-cache" "$dir/staging" "$dir/tasks"

  # Glance's cephx user: client.admin, unless its key is aes256k (key type 2, base64 "Ag...")
  local user=admin
  if grep -A1 -F '[client.admin]' "$keyring" | grep -Eq 'key = Ag'; then
    ((legacy)) || { rm -rf "$dir"; die "client.admin's key is aes256k, which Debian 12's glance-api (librbd 16.2) cannot read; --legacy-key gives Glance a user with an aes key"; }
    user=glance
    # an aes key (ceph-authtool --gen-print-key of the host's Pacific tools makes aes keys)
    # osd caps on every pool, as client.admin has: unprotecting a snapshot looks for its
    # children in the pools that hold them (Glance answers 500 instead of 409 without)
    printf '[client.glance]\n\tkey = %s\n\tcaps mon = "profile rbd"\n\tcaps osd = "profile rbd"\n' \
      "$(/usr/bin/ceph-authtool --gen-print-key)" >"$dir/etc/glance.keyring"
    timeout -k 5 60 ceph -c "$conf" --connect-timeout 30 auth import -i "$dir/etc/glance.keyring" 2>/dev/null || die "ceph auth import of client.glance failed"
    local allowed
    allowed=$(timeout -k 5 60 ceph -c "$conf" --connect-timeout 30 mon dump -f json 2>/dev/null |
      /usr/bin/python3 -c 'import json,sys; print(",".join(c["name"] for c in json.load(sys.stdin).get("auth_allowed_ciphers", [])))')
    if [[ -n $allowed && ",$allowed," != *,aes,* ]]; then
      timeout -k 5 60 ceph -c "$conf" --connect-timeout 30 mon set auth_allowed_ciphers "$allowed,aes" >/dev/null 2>&1 || die "allowing the aes cipher failed"
      log "allowed cephx ciphers: $allowed,aes (for client.glance's aes key)"
    fi
    keyring=$dir/etc/glance.keyring
  fi
  port=${port:-$(free_port)}

  # Glance has no keyring option: the keyring goes in the client ceph.conf it is given
  # (glance_store/_drivers/rbd.py connects with rados.Rados(conffile=..., rados_id=...) only)
  cat >"$dir/etc/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = $mon
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $keyring
log file = $dir/log/ceph-\$name.\$pid.log
admin socket =
EOF

  # flavor empty: the unauthenticated pipeline (no Keystone); workers = 0: one process, one pid
  cat >"$dir/etc/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $port
workers = 0
log_file = $dir/log/glance-api.log
show_image_direct_url = True
show_multiple_locations = True
enabled_backends = ceph:rbd
image_cache_dir = $dir/state/image-cache

[database]
connection = sqlite:///$dir/state/glance.sqlite

[paste_deploy]
flavor =
config_file = /etc/glance/glance-api-paste.ini

[glance_store]
default_backend = ceph

[ceph]
store_description = rbd-ts test ceph
rbd_store_pool = $pool
rbd_store_user = $user
rbd_store_ceph_conf = $dir/etc/ceph.conf
rbd_store_chunk_size = 8

[os_glance_staging_store]
filesystem_store_datadir = $dir/staging

[os_glance_tasks_store]
filesystem_store_datadir = $dir/tasks

[oslo_concurrency]
lock_path = $dir/state/lock
EOF

  timeout -k 5 120 glance-manage --config-file "$dir/etc/glance-api.conf" db_sync >"$dir/log/db_sync.log" 2>&1 \
    || { cat "$dir/log/db_sync.log" >&2; rm -rf "$dir"; die "db_sync failed"; }

  setsid glance-api --config-file "$dir/etc/glance-api.conf" >"$dir/log/stdout.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$dir/glance-api.pid"
  local url="http://127.0.0.1:$port"
  echo "$url" >"$dir/url"
  local t0=$SECONDS
  while ((SECONDS - t0 < 60)); do
    if curl -fsS -m 2 "$url/healthcheck" >/dev/null 2>&1; then
      if [[ -n "$owner" ]]; then
        # Watchdog: stop glance-api once the owner process is gone (a test run that was killed).
        setsid bash -c '
          trap "" HUP INT
          while kill -0 "$3" 2>/dev/null && [[ -d "$2" ]]; do sleep 1; done
          [[ -d "$2" ]] && exec bash "$1" stop "$2"
        ' rbd-ts-glance-watchdog "$(readlink -f "${BASH_SOURCE[0]}")" "$dir" "$owner" </dev/null >/dev/null 2>&1 &
      fi
      log "glance-api (pid $pid) ready at $url after $((SECONDS - t0)) s; state in $dir"
      echo "$dir"
      echo "$url"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  tail -n 30 "$dir/log/glance-api.log" "$dir/log/stdout.log" >&2 || true
  stop "$dir"
  die "glance-api did not become healthy"
}

stop() {
  local dir="${1:-}"
  [[ -n "$dir" && -d "$dir" && -f "$dir/etc/glance-api.conf" ]] || die "usage: glance.sh stop DIR (a directory made by glance.sh start)"
  if [[ -f "$dir/glance-api.pid" ]]; then
    local pid i
    pid=$(cat "$dir/glance-api.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
  log "stopped; removed $dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) die "usage: glance.sh start CEPH_CONF [--pool P] [--port N] [--owner-pid PID] | stop DIR" ;;
esac
