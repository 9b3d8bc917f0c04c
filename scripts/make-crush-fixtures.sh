#!/usr/bin/env bash
# CRUSH fixtures for test/unit/crush.test.ts, made by Ceph's own tools (16.2.x crushtool).
#
#   scripts/make-crush-fixtures.sh          compile fixtures/crush/*.txt, cut truncated
#                                           variants, record crushtool mappings
#   scripts/make-crush-fixtures.sh --live   also fetch maps from a throwaway Pacific
#                                           cluster (scripts/cluster.sh; always stopped)
#
# Outputs in fixtures/crush/:
#   NAME.bin                 crushtool -c NAME.txt (or a map fetched from the cluster)
#   hier-straw2-cutN.bin     hier-straw2.bin without its last N bytes (older encodings:
#                            tunables, device classes, choose_args absent)
#   NAME.mappings.txt.gz     for each test: a line "## <crushtool --test arguments>", then
#                            crushtool's --show-mappings output, one line per x from
#                            --min-x up, each "CRUSH rule R x X [a,b,c]" line shortened to
#                            its "[a,b,c]" (checked to be consecutive x of that rule)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIR=fixtures/crush
LIVE=0
[[ "${1:-}" == --live ]] && LIVE=1

command -v crushtool >/dev/null || { echo "crushtool not found (apt-get install ceph-base)" >&2; exit 1; }
crushtool --version 2>/dev/null | head -1 >&2 || true

TMP=$(mktemp -d)
CLUSTER=
cleanup() {
  if [[ -n "$CLUSTER" ]]; then scripts/cluster.sh stop "$CLUSTER" || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

CT=crushtool
BINS=$DIR
# shellcheck source=scripts/crush-mappings.sh
source scripts/crush-mappings.sh

X="--min-x 0 --max-x 9999"
XS="--min-x 0 --max-x 2999"
XT="--min-x 0 --max-x 1999"
W="--weight 4 0 --weight 9 0.5 --weight 13 0.25 --weight 20 0"

for txt in "$DIR"/*.txt; do
  name=$(basename "$txt" .txt)
  # legacy tunables are refused without --enable-unsafe-tunables
  crushtool -c "$txt" -o "$DIR/$name.bin" --enable-unsafe-tunables
done

# straw2 root/rack/host/osd
n=hier-straw2
maps $n --rule 0 --num-rep 3 $X
maps $n --rule 0 --num-rep 3 $W $X
maps $n --rule 0 --num-rep 10 $XS
maps $n --rule 0 --num-rep 3 --pool-id 5 $X
maps $n --rule 1 --num-rep 6 $X
maps $n --rule 1 --num-rep 6 $W $X
maps $n --rule 1 --num-rep 10 $XS
maps $n --rule 2 --num-rep 4 $W $XS
maps $n --rule 3 --num-rep 6 $W $XS
maps $n --rule 4 --num-rep 3 $XS
maps $n --rule 5 --num-rep 3 $W $XS
maps $n --rule 6 --num-rep 5 $W $XS
finish $n

# straw (v0 with argonaut tunables, v1 with firefly tunables)
for n in straw-v0 straw-v1; do
  maps $n --rule 0 --num-rep 3 $X
  maps $n --rule 0 --num-rep 3 $W $X
  maps $n --rule 1 --num-rep 6 $W $XS
  maps $n --rule 2 --num-rep 4 $W $XS
  maps $n --rule 3 --num-rep 6 $XS
  maps $n --rule 5 --num-rep 3 $W $XS
  finish $n
done

# uniform / list / tree buckets, rules that override tunables
for n in mixed-algs mixed-algs-legacy; do
  maps $n --rule 0 --num-rep 3 $X
  maps $n --rule 0 --num-rep 3 $W $XS
  maps $n --rule 1 --num-rep 6 $W $XS
  maps $n --rule 2 --num-rep 4 $XS
  maps $n --rule 3 --num-rep 6 $W $XS
  maps $n --rule 5 --num-rep 3 $W $XS
  maps $n --rule 6 --num-rep 5 $XS
  maps $n --rule 7 --num-rep 4 --weight 4 0.5 $XS
  maps $n --rule 7 --num-rep 3 $XS
  maps $n --rule 8 --num-rep 3 $W $XS
  maps $n --rule 9 --num-rep 3 --weight 22 0 $XS
  maps $n --rule 10 --num-rep 3 $W $XS
  finish $n
done

# choose_args: crushtool passes choose_args index 0, falling back to -1
for n in choose-args choose-args-default; do
  maps $n --rule 0 --num-rep 3 $X
  maps $n --rule 0 --num-rep 3 $W $XS
  maps $n --rule 1 --num-rep 6 $W $X
  maps $n --rule 2 --num-rep 4 $XS
  maps $n --rule 3 --num-rep 6 $W $XS
  maps $n --rule 5 --num-rep 3 $XS
  maps $n --rule 6 --num-rep 5 $W $XS
  finish $n
done

# Older encodings: hier-straw2 has no device classes and no choose_args, so it ends with
# 23 bytes of tunables, 3 empty class maps and an empty choose_args (39 bytes). Cut:
#   4 = no choose_args; 16 = no classes; 17 = no chooseleaf_stable; 22 = up to vary_r;
#   23 = up to descend_once; 27 = only the first three tunables; 39 = no tunables at all
size=$(stat -c %s "$DIR/hier-straw2.bin")
for cut in 4 16 17 22 23 27 39; do
  n=hier-straw2-cut$cut
  head -c $((size - cut)) "$DIR/hier-straw2.bin" >"$DIR/$n.bin"
  maps $n --rule 0 --num-rep 3 $W $XT
  maps $n --rule 1 --num-rep 6 $W $XT
  maps $n --rule 5 --num-rep 3 $W $XT
  finish $n
done

# max_devices: take-device.bin as compiled, and a copy with max_devices 100 (offset 12)
# whose rule 0 takes device 50 (its TAKE step is the first op 1 / arg1 7 in the blob)
python3 - "$DIR/take-device.bin" "$DIR/take-device-50.bin" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[12:16] = struct.pack('<i', 100)
i = b.find(struct.pack('<Iii', 1, 7, 0))
assert i > 0
b[i:i + 12] = struct.pack('<Iii', 1, 50, 0)
open(sys.argv[2], 'wb').write(b)
PY
for n in take-device take-device-50; do
  maps $n --rule 0 --num-rep 3 --min-x 0 --max-x 9
  maps $n --rule 1 --num-rep 3 --min-x 0 --max-x 9
  finish $n
done

if ((LIVE)); then
  out=$(scripts/cluster.sh start --osds 3 --owner-pid $$)
  CLUSTER=$(printf '%s\n' "$out" | tail -1)
  CEPH=(ceph -c "$CLUSTER/ceph.conf")
  "${CEPH[@]}" osd getcrushmap -o "$DIR/live-pacific.bin"
  # a richer map: device-class rule (shadow buckets), an erasure rule, a compat weight set
  "${CEPH[@]}" osd crush rule create-replicated rep_hdd default osd hdd
  "${CEPH[@]}" osd erasure-code-profile set ecp k=2 m=1 crush-failure-domain=osd
  "${CEPH[@]}" osd crush rule create-erasure ec_rule ecp
  "${CEPH[@]}" osd crush weight-set create-compat
  "${CEPH[@]}" osd crush weight-set reweight-compat osd.0 0.002
  "${CEPH[@]}" osd crush weight-set reweight-compat osd.2 0.006
  "${CEPH[@]}" osd getcrushmap -o "$DIR/live-pacific-rich.bin"
  scripts/cluster.sh stop "$CLUSTER"
  CLUSTER=
fi

for n in live-pacific live-pacific-rich; do
  [[ -f "$DIR/$n.bin" ]] || continue
  maps $n --rule 0 --num-rep 3 $X
  if [[ $n == live-pacific-rich ]]; then
    maps $n --rule 0 --num-rep 3 --weight 1 0.5 $X
    maps $n --rule 1 --num-rep 3 $X
    maps $n --rule 2 --num-rep 3 --weight 0 0 $X
  fi
  finish $n
done

du -ch "$DIR" | tail -1 >&2
