#!/usr/bin/env bash
# MSR CRUSH fixtures for test/unit/crush-msr.test.ts, made by Ceph Tentacle's crushtool
# (20.2.x: msr_firstn / msr_indep rules, choosemsr steps, msr tunables).
#
#   scripts/make-crush-msr-fixtures.sh [CRUSHTOOL]
#
# CRUSHTOOL defaults to the Tentacle tools scripts/release.sh installs
# (/var/cache/rbd-ts/roots/tentacle/bin/crushtool), else crushtool on PATH. That wrapper
# runs crushtool in a chroot that sees /tmp only, so files go through a /tmp directory.
#
# Inputs and outputs in fixtures/crush/msr/:
#   msr-hosts.txt             the source map: straw2 root/rack/host/osd with device classes,
#                             a root of uniform/list/tree/straw hosts, 11 MSR rules and 2
#                             classic ones
#   msr-low-tries.txt         msr-hosts.txt with tunables msr_descents 3, msr_collision_tries 2
#   msr-choose-args.txt       msr-hosts.txt plus a choose_args weight set (several positions,
#                             replacement ids): MSR passes the stride index as the position
#   NAME.bin                  crushtool -c NAME.txt
#   NAME.mappings.txt.gz      for each test: a line "## <crushtool --test arguments>", then
#                             crushtool's --show-mappings output, one line per x from
#                             --min-x up, each "CRUSH rule R x X [a,b,c]" line shortened to
#                             its "[a,b,c]" (checked to be consecutive x of that rule)
#   msr-pool.osdmap           osdmaptool --createsimple 41 --with-default-pool, then
#                             --import-crush of msr-hosts.txt with osd.6 at weight 0.5:
#                             pool 1 (replicated, size 3) runs rule 0, an msr_firstn rule
#   msr-pool.pgs.txt.gz       osdmaptool --mark-up-in --mark-out 13 --test-map-pgs-dump-all
#                             --pool 1 on it: "PGID RAW UP ACTING" per PG, each set
#                             written "[a,b,c]pN"
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIR=fixtures/crush/msr

CT=${1:-}
if [[ -z "$CT" ]]; then
  CT=/var/cache/rbd-ts/roots/tentacle/bin/crushtool
  [[ -x "$CT" ]] || CT=$(command -v crushtool || true)
fi
[[ -n "$CT" && -x "$CT" ]] || { echo "crushtool not found (scripts/release.sh installs Tentacle's)" >&2; exit 1; }
OT=$(dirname "$CT")/osdmaptool
[[ -x "$OT" ]] || { echo "osdmaptool not found beside $CT" >&2; exit 1; }
"$CT" --version 2>/dev/null | head -1 >&2 || true

TMP=$(mktemp -d /tmp/crush-msr.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# derived maps
{
  cat "$DIR/msr-hosts.txt" | sed '1,3d'
} >"$TMP/body.txt"
{
  echo '# msr-hosts.txt with low msr tunables: descents and collision retries run out'
  sed -n '/^tunable/p' "$TMP/body.txt"
  echo 'tunable msr_descents 3'
  echo 'tunable msr_collision_tries 2'
  sed '/^tunable/d' "$TMP/body.txt"
} >"$DIR/msr-low-tries.txt"
{
  echo '# msr-hosts.txt plus choose_args 0: weight sets of 1-4 positions and replacement ids'
  cat "$TMP/body.txt"
  cat <<'EOF'

choose_args 0 {
  {
    bucket_id -1
    weight_set [
      [ 10.000 3.000 5.000 ]
      [ 2.000 9.000 4.000 ]
      [ 4.500 4.500 9.000 ]
      [ 1.000 6.000 6.000 ]
    ]
  }
  {
    bucket_id -2
    weight_set [
      [ 0.500 2.000 0.500 1.000 ]
      [ 2.000 0.250 1.000 0.000 ]
    ]
    ids [ 900 901 902 903 ]
  }
  {
    bucket_id -5
    weight_set [
      [ 1.000 4.000 2.000 ]
    ]
  }
  {
    bucket_id -9
    weight_set [
      [ 1.000 1.000 3.000 0.500 ]
      [ 3.000 0.500 1.000 1.000 ]
      [ 0.000 2.000 2.000 2.000 ]
    ]
  }
}
EOF
} >"$DIR/msr-choose-args.txt"

for name in msr-hosts msr-low-tries msr-choose-args; do
  cp "$DIR/$name.txt" "$TMP/$name.txt"
  "$CT" -c "$TMP/$name.txt" -o "$TMP/$name.bin"
  cp "$TMP/$name.bin" "$DIR/$name.bin"
done

BINS=$TMP
# shellcheck source=scripts/crush-mappings.sh
source scripts/crush-mappings.sh

X="--min-x 0 --max-x 1023"
XS="--min-x 0 --max-x 511"
# a few OSDs out or partly reweighted
W1="--weight 8 0 --weight 18 0 --weight 3 0.5 --weight 21 0.25 --weight 9 0"
# host h1-0 (osd 11-13) out, plus osd 0 and 25
WH="--weight 11 0 --weight 12 0 --weight 13 0 --weight 0 0 --weight 25 0"
# rack1 (osd 11-17) and host h2-0 (osd 18-21) out: strides run out of racks and hosts
WHEAVY="--weight 11 0 --weight 12 0 --weight 13 0 --weight 14 0 --weight 15 0 --weight 16 0 --weight 17 0 --weight 18 0 --weight 19 0 --weight 20 0 --weight 21 0 --weight 4 0.5"
# the uniform/list/tree/straw hosts
WM="--weight 28 0 --weight 33 0.5 --weight 35 0 --weight 38 0 --weight 39 0.25"

n=msr-hosts
maps $n --rule 0 --num-rep 3 $X
maps $n --rule 0 --num-rep 3 $W1 $X
maps $n --rule 0 --num-rep 3 $WH $X
maps $n --rule 0 --num-rep 2 $WH $XS
maps $n --rule 0 --num-rep 5 $W1 $XS
maps $n --rule 1 --num-rep 8 $X
maps $n --rule 1 --num-rep 8 $W1 $X
maps $n --rule 1 --num-rep 8 $WH $X
maps $n --rule 1 --num-rep 8 $WHEAVY $X
maps $n --rule 1 --num-rep 6 $W1 $XS
maps $n --rule 2 --num-rep 6 $W1 $X
maps $n --rule 2 --num-rep 6 $WHEAVY $X
maps $n --rule 2 --num-rep 8 $WH $XS
maps $n --rule 3 --num-rep 4 $W1 $X
maps $n --rule 3 --num-rep 10 $WHEAVY $XS
maps $n --rule 4 --num-rep 6 $WH $X
maps $n --rule 4 --num-rep 5 $WHEAVY $X
maps $n --rule 5 --num-rep 4 $WM $X
maps $n --rule 5 --num-rep 3 $WH $XS
maps $n --rule 5 --num-rep 6 $WM $XS
maps $n --rule 6 --num-rep 4 $WM $X
maps $n --rule 6 --num-rep 3 $XS
maps $n --rule 7 --num-rep 4 $WM $X
maps $n --rule 7 --num-rep 3 $XS
maps $n --rule 8 --num-rep 3 $W1 $X
maps $n --rule 9 --num-rep 4 $W1 $X
maps $n --rule 10 --num-rep 4 $W1 $X
maps $n --rule 10 --num-rep 4 $WHEAVY $XS
maps $n --rule 11 --num-rep 3 $W1 $XS
maps $n --rule 12 --num-rep 6 $WH $XS
finish $n

n=msr-low-tries
maps $n --rule 0 --num-rep 3 $WH $X
maps $n --rule 1 --num-rep 8 $WHEAVY $X
maps $n --rule 2 --num-rep 6 $WHEAVY $X
maps $n --rule 3 --num-rep 10 $WHEAVY $XS
maps $n --rule 6 --num-rep 4 $WM $XS
maps $n --rule 7 --num-rep 4 $WM $XS
finish $n

n=msr-choose-args
maps $n --rule 0 --num-rep 3 $W1 $X
maps $n --rule 1 --num-rep 8 $WH $X
maps $n --rule 2 --num-rep 6 $W1 $XS
maps $n --rule 3 --num-rep 6 $W1 $XS
maps $n --rule 4 --num-rep 6 $XS
finish $n

# OSDMap placement of a pool whose crush_rule is an MSR rule (Quincy+ runs the id as is).
# --mark-up-in gives crush weight 1 to devices of crush weight 0: osd.6 gets 0.5 first.
sed 's/item osd\.6 weight 0\.000$/item osd.6 weight 0.500/' "$TMP/msr-hosts.txt" >"$TMP/msr-pool.txt"
cmp -s "$TMP/msr-hosts.txt" "$TMP/msr-pool.txt" && { echo "osd.6 not found" >&2; exit 1; }
"$CT" -c "$TMP/msr-pool.txt" -o "$TMP/msr-pool.crush"
"$OT" "$TMP/om" --createsimple 41 --clobber --with-default-pool >/dev/null 2>&1
"$OT" "$TMP/om" --import-crush "$TMP/msr-pool.crush" >/dev/null 2>&1
cp "$TMP/om" "$DIR/msr-pool.osdmap"
"$OT" "$TMP/om" --mark-up-in --mark-out 13 --test-map-pgs-dump-all --pool 1 2>/dev/null >"$TMP/pgs"
sed -nE 's/^([0-9]+\.[0-9a-f]+) raw \((\[[^]]*\]), p(-?[0-9]+)\) up \((\[[^]]*\]), p(-?[0-9]+)\) acting \((\[[^]]*\]), p(-?[0-9]+)\)$/\1 \2p\3 \4p\5 \6p\7/p' \
  "$TMP/pgs" >"$TMP/pgs.txt"
[[ $(wc -l <"$TMP/pgs.txt") == $(sed -nE 's/^pool 1 pg_num ([0-9]+)$/\1/p' "$TMP/pgs") ]] || { echo "unexpected osdmaptool output" >&2; exit 1; }
gzip -9n <"$TMP/pgs.txt" >"$DIR/msr-pool.pgs.txt.gz"
echo "$DIR/msr-pool.pgs.txt.gz: $(gunzip -c "$DIR/msr-pool.pgs.txt.gz" | wc -l) PGs" >&2

du -ch "$DIR" | tail -1 >&2
