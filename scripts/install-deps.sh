#!/usr/bin/env bash
# Installs what the rbd-ts tests and demo need; does nothing that is already done.
#  - Ceph (Pacific, from Debian): ceph-mon, ceph-osd, ceph CLIs, python3-rbd/rados
#  - debootstrap and the roots of the other releases of $RBD_TS_RELEASES (default
#    pacific,reef,tentacle; scripts/release.sh: Reef and Tentacle from Debian's archive,
#    built once into a cache outside the clone)
#  - node_modules: npm ci when missing or older than package-lock.json
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[install-deps] %s\n' "$*" >&2; }

need_ceph=0
for tool in ceph-mon ceph-osd ceph rados rbd monmaptool ceph-authtool; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "$tool missing"
    need_ceph=1
  fi
done
if [[ ! -x /usr/bin/time ]]; then # the import/export benchmark measures rbd and rbd-ts under it
  log "/usr/bin/time missing"
  need_ceph=1
fi
if ! /usr/bin/python3 -c 'import rbd, rados' >/dev/null 2>&1; then
  log "python3-rbd / python3-rados missing"
  need_ceph=1
fi

if ((need_ceph)); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { log "not root and no sudo: cannot install Ceph packages"; exit 1; }
    sudo=(sudo)
  fi
  log "installing Ceph packages"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    ceph-mon ceph-osd ceph-mgr ceph-common python3-rbd python3-rados time
else
  log "Ceph packages present ($(ceph --version 2>/dev/null | awk '{print $3}'))"
fi

# The other releases' roots (each built once; a few minutes and ~1 GB apiece).
IFS=', ' read -r -a releases <<<"${RBD_TS_RELEASES:-pacific,reef,tentacle}"
for rel in "${releases[@]}"; do
  [[ $rel == pacific ]] && continue
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap ||
      { "${sudo[@]}" apt-get update && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap; } ||
      { log "debootstrap install failed"; exit 1; }
  fi
  bash scripts/release.sh ensure "$rel" >/dev/null || { log "the $rel root could not be built"; exit 1; }
  log "$rel: $(bash scripts/release.sh version "$rel")"
done

# Debian's glance-api (OpenStack Zed), for the Glance tests and the demo (scripts/glance.sh runs it
# on loopback from a temp dir). RBD_TS_NO_GLANCE=1 skips it. The postinst would start glance-api
# from /etc/glance on 0.0.0.0:9292 unless a policy-rc.d refuses service starts: make sure one does.
if [[ "${RBD_TS_NO_GLANCE:-0}" != 1 ]] && ! { command -v glance-api && command -v glance-manage; } >/dev/null 2>&1; then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { log "not root and no sudo: cannot install glance-api"; exit 1; }
    sudo=(sudo)
  fi
  made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# rbd-ts install-deps: no service starts during the install\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  log "installing glance-api"
  rc=0
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends glance-api || rc=$?
  if ((rc)); then # stale package lists
    rc=0
    { "${sudo[@]}" apt-get update && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends glance-api; } || rc=$?
  fi
  ((made_policy)) && "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || { log "glance-api install failed"; exit 1; }
fi

# npm writes node_modules/.package-lock.json after every install: it is the stamp.
stamp=node_modules/.package-lock.json
if [[ -f package-lock.json ]]; then
  if [[ ! -d node_modules || ! -f $stamp || package-lock.json -nt $stamp ]]; then
    log "npm ci"
    npm ci --no-audit --no-fund
  else
    log "node_modules up to date"
  fi
elif [[ ! -d node_modules || ! -f $stamp || package.json -nt $stamp ]]; then
  log "npm install (no package-lock.json)"
  npm install --no-audit --no-fund
else
  log "node_modules up to date"
fi
