#!/usr/bin/env bash
# Builds the OSDMap / placement fixtures (fixtures/osdmap/) on a throwaway real Pacific
# cluster (scripts/cluster.sh, 1 mon, 3 memstore OSDs), for test/unit/osdmap.test.ts and
# test/unit/placement.test.ts. No cluster is needed to run those tests afterwards.
#
#   scripts/make-osdmap-fixtures.sh            # writes fixtures/osdmap/*.msgpack.gz
#
# The cluster is driven through stages with the `ceph` CLI (fake OSDs made with
# `osd new` that never boot, racks and hosts with add-bucket/move, unequal CRUSH weights,
# reweight/out, primary affinity, pg-upmap(-items), pg-temp/primary-temp, several pools
# with different pg_num/pgp_num, an erasure pool, weight-sets, a crushtool-compiled map
# with straw/list/tree buckets, tunables, pool/OSD removal, ...). After each stage:
#   - the map of a quiet epoch (`osd getmap <epoch>`), and `osd dump <epoch>` as JSON;
#   - the mon's own placement ("osd map" mon command, i.e. `ceph osd map`) of 10,000 object
#     names (some in namespaces) in every pool, all at that same epoch;
#   - `osdmaptool MAP --test-map-pgs-dump-all` (raw/up/acting of every PG), and
#     `osdmaptool MAP --test-map-object NAME --pool N` for 100 names per pool;
#   - at one stage, the `ceph osd map POOL OBJ [NS] -f json` CLI for a few names.
# At the end: every MOSDMap the mon sends a client from epoch 1 (through the project's own
# MonClient: one-time subscriptions, so several messages), and the full map of every epoch.
#
# Output (gzipped msgpack):
#   fixtures/osdmap/stages.msgpack.gz   names, raw hashes, per-stage maps and expectations
#   fixtures/osdmap/history.msgpack.gz  MOSDMap fronts (incrementals) and full maps by epoch
#
# OSDMAP_FIXTURES_KEEP=DIR copies the intermediate files to DIR before the cluster goes.
#
# Every daemon belongs to the cluster this script starts; it is stopped on exit (and by
# cluster.sh's watchdog if this script is killed).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/fixtures/osdmap
log() { printf '[make-osdmap-fixtures] %s\n' "$*" >&2; }
for t in ceph osdmaptool crushtool node; do
  command -v "$t" >/dev/null || { log "$t not found (scripts/install-deps.sh)"; exit 1; }
done
[[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3 || PY=python3

DIR=""
cleanup() {
  local rc=$?
  if [[ -n "$DIR" ]]; then
    # OSDMAP_FIXTURES_KEEP=DIR keeps the intermediate files (for debugging this script)
    [[ -n "${OSDMAP_FIXTURES_KEEP:-}" && -d "${W:-}" ]] && cp -r "$W" "$OSDMAP_FIXTURES_KEEP"
    "$ROOT/scripts/cluster.sh" stop "$DIR" >/dev/null 2>&1 || log "WARNING: could not stop the cluster in $DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting a cluster"
DIR=$("$ROOT/scripts/cluster.sh" start --osds 3 --owner-pid $$ | tail -n 1)
[[ -d "$DIR" ]] || { log "cluster.sh did not print a directory"; exit 1; }
export CEPH_CONF=$DIR/ceph.conf
W=$DIR/osdmap-fixtures
mkdir -p "$W" "$OUT"
HELPER=$W/helper.mts

# ---- the TypeScript helper (uses the project's MonClient through Rados) ----------------
cat >"$HELPER" <<'EOF_HELPER'
// helper for scripts/make-osdmap-fixtures.sh (embedded there; see that script)
// usage: node --import=tsx helper.mts ROOT WORK MODE [ARGS]
//   names              write WORK/names.json (the object names and namespaces)
//   probe STAGE        'osd map' for every name and pool at a stable epoch; save the map,
//                      'osd dump' and the answers under WORK/STAGE.*
//   capture            every MOSDMap the mon sends from epoch 1, and every full map
//   pack OUT           assemble fixtures
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

const [ROOT, WORK, MODE, ...ARGS] = process.argv.slice(2) as [string, string, string, ...string[]];
const req = createRequire(ROOT + '/package.json');
const { pack } = req('msgpackr') as typeof import('msgpackr');
const { Rados } = (await import(ROOT + '/src/rados/rados.js')) as { Rados: any };

function log(...a: unknown[]): void {
  console.error('[helper]', ...a);
}

// ---- names --------------------------------------------------------------------------
function makeNames(): { names: string[]; nspaces: string[] } {
  let seed = 0x12345678;
  const rnd = () => {
    // xorshift32
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed;
  };
  const names: string[] = [];
  const nspaces: string[] = [];
  const printable = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+=:@~!$%^&*()[]{},;/ ';
  for (let i = 0; i < 10000; i++) {
    let n: string;
    let ns = '';
    if (i < 3000) n = `obj-${i}`;
    else if (i < 5000) n = `rbd_data.${(0x10000000 + i * 7919).toString(16)}${'0123'[i % 4]}.${i.toString(16).padStart(16, '0')}`;
    else if (i < 7000) {
      const len = 1 + (rnd() % 96);
      n = 'x';
      for (let k = 1; k < len; k++) n += printable[rnd() % printable.length];
    } else if (i < 8000) n = `объект-ünïcødé-${i}-${'🐙'.repeat(i % 3)}`;
    else if (i < 9000) {
      n = `obj-${i - 8000}`;
      ns = 'ns1';
    } else if (i < 9500) {
      n = `rbd_header.${i.toString(16)}`;
      ns = `tenant-${i % 7}`;
    } else {
      n = `obj-${i}`;
      ns = 'пространство';
    }
    names.push(n);
    nspaces.push(ns);
  }
  return { names, nspaces };
}

// ---- probe ----------------------------------------------------------------------------
interface Answer {
  epoch: number;
  pool_id: number;
  raw_pgid: string;
  pgid: string;
  up: number[];
  up_primary: number;
  acting: number[];
  acting_primary: number;
}

async function probe(stage: string): Promise<void> {
  const { names, nspaces } = JSON.parse(readFileSync(`${WORK}/names.json`, 'utf8')) as { names: string[]; nspaces: string[] };
  const rados = await Rados.connect({ conf: process.env.CEPH_CONF! });
  try {
    for (let attempt = 0; attempt < 8; attempt++) {
      // wait for a quiet epoch
      let v = (await rados.monc.getVersion('osdmap')).version;
      for (;;) {
        await new Promise((r) => setTimeout(r, 1500));
        const v2 = (await rados.monc.getVersion('osdmap')).version;
        if (v2 === v) break;
        v = v2;
      }
      const epoch = v;
      const dump = await rados.monCommandJson<{ epoch: number; pools: Array<{ pool: number; pool_name: string }> }>({ prefix: 'osd dump', epoch });
      const pools = dump.pools.map((p) => p.pool_name);
      const answers: Record<string, Answer[]> = {};
      let stable = true;
      for (const pool of pools) {
        const out: Answer[] = new Array(names.length);
        let next = 0;
        const worker = async () => {
          while (next < names.length) {
            const i = next++;
            const cmd: Record<string, unknown> = { prefix: 'osd map', pool, object: names[i] };
            if (nspaces[i]) cmd.nspace = nspaces[i];
            out[i] = await rados.monCommandJson<Answer>(cmd, { timeoutMs: 60_000 });
          }
        };
        await Promise.all(Array.from({ length: 64 }, worker));
        if (out.some((a) => a.epoch !== epoch)) {
          stable = false;
          break;
        }
        answers[pool] = out;
      }
      if (!stable) {
        log(`${stage}: the map moved during the probe; again`);
        continue;
      }
      const map = await rados.monCommand({ prefix: 'osd getmap', epoch });
      if (map.rc !== 0) throw new Error(`osd getmap ${epoch}: ${map.outs}`);
      writeFileSync(`${WORK}/${stage}.bin`, map.outbl);
      writeFileSync(`${WORK}/${stage}.dump.json`, JSON.stringify(dump));
      writeFileSync(`${WORK}/${stage}.answers.json`, JSON.stringify({ epoch, answers }));
      log(`${stage}: epoch ${epoch}, ${pools.length} pools x ${names.length} names`);
      return;
    }
    throw new Error(`${stage}: the map never held still`);
  } finally {
    rados.shutdown();
  }
}

// ---- capture --------------------------------------------------------------------------
async function capture(): Promise<void> {
  const rados = await Rados.connect({ conf: process.env.CEPH_CONF! });
  try {
    const latest = (await rados.monc.getVersion('osdmap')).version;
    const msgs: Array<{ version: number; compat: number; front: Buffer; kind: string }> = [];
    let have = 0;
    let kind = 'full-latest';
    let notify: (() => void) | undefined;
    rados.monc.on('osdmap', (m: { header: { version: number; compatVersion: number }; front: Buffer }) => {
      msgs.push({ version: m.header.version, compat: m.header.compatVersion, front: Buffer.from(m.front), kind });
      const f = m.front;
      let p = 16;
      const readMap = () => {
        const n = f.readUInt32LE(p);
        p += 4;
        let last = 0;
        for (let k = 0; k < n; k++) {
          last = Math.max(last, f.readUInt32LE(p));
          p += 4;
          const len = f.readUInt32LE(p);
          p += 4 + len;
        }
        return last;
      };
      have = Math.max(have, readMap(), readMap());
      notify?.();
    });
    const next = (ms: number) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('capture timed out')), ms);
        notify = () => {
          clearTimeout(t);
          notify = undefined;
          resolve();
        };
      });
    // 1. the latest full map (start 0, one-time)
    let wait = next(10_000);
    rados.monc.subscribe('osdmap', 0, 1);
    await wait;
    // 2. everything from epoch 1 as incrementals: one-time subscriptions get one message
    //    (at most osd_map_message_max epochs) each, so ask again from where it ended
    kind = 'incrementals';
    have = 0;
    while (have < latest) {
      wait = next(10_000);
      rados.monc.subscribe('osdmap', have + 1, 1);
      await wait;
    }
    const fulls: Record<number, Buffer> = {};
    const oldest = (await rados.monc.getVersion('osdmap')).oldestVersion;
    for (let e = Math.max(1, oldest); e <= latest; e++) {
      const r = await rados.monCommand({ prefix: 'osd getmap', epoch: e });
      if (r.rc !== 0) throw new Error(`osd getmap ${e}: ${r.outs}`);
      fulls[e] = Buffer.from(r.outbl);
    }
    writeFileSync(`${WORK}/capture.msgpack`, pack({ latest, messages: msgs, fulls }));
    log(`captured ${msgs.length} MOSDMap messages up to e${have}, ${Object.keys(fulls).length} full maps`);
  } finally {
    rados.shutdown();
  }
}

// ---- pack -----------------------------------------------------------------------------
type Row = [number, number[], number, number[], number, number[], number];

/** osdmaptool --test-map-pgs-dump-all output → pool → rows [seed, raw, rawP, up, upP, acting, actP] */
function parseDumpAll(text: string): Record<number, { pgNum: number; rows: Row[] }> {
  const out: Record<number, { pgNum: number; rows: Row[] }> = {};
  const list = (s: string) => (s === '' ? [] : s.split(',').map(Number));
  for (const line of text.split('\n')) {
    let m = /^pool (\d+) pg_num (\d+)$/.exec(line);
    if (m) {
      out[Number(m[1])] = { pgNum: Number(m[2]), rows: [] };
      continue;
    }
    m = /^(\d+)\.([0-9a-f]+) raw \(\[([^\]]*)\], p(-?\d+)\) up \(\[([^\]]*)\], p(-?\d+)\) acting \(\[([^\]]*)\], p(-?\d+)\)$/.exec(line);
    if (m) {
      out[Number(m[1])]!.rows.push([parseInt(m[2]!, 16), list(m[3]!), Number(m[4]), list(m[5]!), Number(m[6]), list(m[7]!), Number(m[8])]);
    }
  }
  return out;
}

function packAll(outDir: string): void {
  const { names, nspaces } = JSON.parse(readFileSync(`${WORK}/names.json`, 'utf8')) as { names: string[]; nspaces: string[] };
  const stages = JSON.parse(readFileSync(`${WORK}/stages.json`, 'utf8')) as Array<{ name: string; what: string }>;
  let rawHashes: Buffer | undefined;
  const outStages = [];
  for (const st of stages) {
    const map = readFileSync(`${WORK}/${st.name}.bin`);
    const dump = JSON.parse(readFileSync(`${WORK}/${st.name}.dump.json`, 'utf8'));
    const { epoch, answers } = JSON.parse(readFileSync(`${WORK}/${st.name}.answers.json`, 'utf8')) as { epoch: number; answers: Record<string, Answer[]> };
    const dumpAll = parseDumpAll(readFileSync(`${WORK}/${st.name}.dumpall.txt`, 'utf8'));
    const toolObjects = readFileSync(`${WORK}/${st.name}.objects.txt`, 'utf8')
      .split('\n')
      .filter((l) => l.includes(' -> '))
      .map((l) => {
        // <pool>\t<index>\t object 'NAME' -> P.S -> [a,b]
        const m = /^(\d+)\t(\d+)\t object '(.*)' -> (\d+\.[0-9a-f]+) -> \[([^\]]*)\]$/.exec(l);
        if (!m) throw new Error(`bad osdmaptool line: ${l}`);
        const i = Number(m[2]);
        if (m[3] !== names[i]) throw new Error(`osdmaptool echoed '${m[3]}' for name ${i} '${names[i]}'`);
        return { pool: Number(m[1]), i, pgid: m[4]!, acting: m[5] === '' ? [] : m[5]!.split(',').map(Number) };
      });
    const monPools: Record<string, { poolId: number; seeds: Buffer; pgs: Record<string, [number[], number, number[], number]> }> = {};
    for (const [pool, list] of Object.entries(answers)) {
      const hashes = Buffer.alloc(4 * names.length);
      const seeds = Buffer.alloc(4 * names.length);
      const pgs: Record<string, [number[], number, number[], number]> = {};
      list.forEach((a, i) => {
        const [, rawHex] = a.raw_pgid.split('.');
        const [, seedHex] = a.pgid.split('.');
        hashes.writeUInt32LE(parseInt(rawHex!, 16), i * 4);
        seeds.writeUInt32LE(parseInt(seedHex!, 16), i * 4);
        const row: [number[], number, number[], number] = [a.up, a.up_primary, a.acting, a.acting_primary];
        const prev = pgs[a.pgid];
        if (prev && JSON.stringify(prev) !== JSON.stringify(row)) throw new Error(`${st.name} ${a.pgid}: two answers disagree`);
        pgs[a.pgid] = row;
      });
      if (!rawHashes) rawHashes = hashes;
      else if (!rawHashes.equals(hashes)) throw new Error(`${st.name}/${pool}: raw hashes differ from the first pool's`);
      monPools[pool] = { poolId: list[0]!.pool_id, seeds, pgs };
    }
    let cli: unknown[] = [];
    if (existsSync(`${WORK}/${st.name}.cli.jsonl`)) {
      cli = readFileSync(`${WORK}/${st.name}.cli.jsonl`, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    }
    outStages.push({ name: st.name, what: st.what, epoch, map, osdDump: dump, dumpAll, toolObjects, mon: monPools, cli });
  }
  const ceph = execFileSync('ceph', ['--version'], { encoding: 'utf8' }).trim();
  const stagesFile = pack({ format: 1, ceph, recordedAt: new Date().toISOString(), names, nspaces, rawHashes, stages: outStages });
  writeFileSync(`${outDir}/stages.msgpack.gz`, gzipSync(stagesFile, { level: 9 }));
  const cap = readFileSync(`${WORK}/capture.msgpack`);
  writeFileSync(`${outDir}/history.msgpack.gz`, gzipSync(cap, { level: 9 }));
  log(`packed ${outStages.length} stages: stages ${stagesFile.length} bytes raw; history ${cap.length} bytes raw`);
}

if (MODE === 'names') {
  const all = makeNames();
  writeFileSync(`${WORK}/names.json`, JSON.stringify(all));
  // the names osdmaptool --test-map-object and the ceph CLI check (no namespace: the tool has none)
  const sample = [0, 3000, 5000, 7000].flatMap((b) => Array.from({ length: 25 }, (_, k) => b + k));
  writeFileSync(`${WORK}/sample.tsv`, sample.map((i) => `${i}\t${all.names[i]}\n`).join(''));
  // the CLI refuses non-ASCII namespaces and mangles characters outside the BMP
  const cli = [...Array.from({ length: 15 }, (_, k) => k), 3001, 5002, 7002, 7005, 8000, 8001, 9000, 9001];
  writeFileSync(`${WORK}/cli.tsv`, cli.map((i) => `${i}\t${all.names[i]}\t${all.nspaces[i]}\n`).join(''));
}
else if (MODE === 'probe') await probe(ARGS[0]!);
else if (MODE === 'capture') await capture();
else if (MODE === 'pack') packAll(ARGS[0]!);
else throw new Error(`unknown mode ${MODE}`);
EOF_HELPER

helper() { (cd "$ROOT" && node --import=tsx "$HELPER" "$ROOT" "$W" "$@"); }
# a ceph command that must work; its chatter goes to a log, shown only if it fails
c() {
  local rc=0
  timeout 60 ceph "$@" 2>"$W/c.err" || rc=$?
  if ((rc != 0)); then log "FAILED ($rc): ceph $*"; cat "$W/c.err" >&2; return "$rc"; fi
  cat "$W/c.err" >>"$W/ceph.log"
}
# a command the mon may refuse: log and go on
try() { timeout 60 ceph "$@" >/dev/null 2>"$W/try.err" || log "refused: ceph $* ($(tr '\n' ' ' <"$W/try.err"))"; }
uuid() { cat /proc/sys/kernel/random/uuid; }

STAGES_JSON="["
stage() {
  local name=$1 what=$2 pools pool idx objname
  log "stage $name: $what"
  helper probe "$name"
  osdmaptool "$W/$name.bin" --test-map-pgs-dump-all >"$W/$name.dumpall.txt" 2>/dev/null
  pools=$("$PY" -c 'import json,sys; print(" ".join(str(p["pool"]) for p in json.load(open(sys.argv[1]))["pools"]))' "$W/$name.dump.json")
  : >"$W/$name.objects.txt"
  for pool in $pools; do
    while IFS=$'\t' read -r idx objname; do
      printf '%s\t%s\t' "$pool" "$idx" >>"$W/$name.objects.txt"
      osdmaptool "$W/$name.bin" --test-map-object "$objname" --pool "$pool" 2>/dev/null >>"$W/$name.objects.txt"
    done <"$W/sample.tsv"
  done
  STAGES_JSON+="$([[ $STAGES_JSON == "[" ]] || printf ,){\"name\":\"$name\",\"what\":\"$what\"}"
}

# `ceph osd map` through the CLI itself, for a few names
cli_check() {
  local name=$1 pool idx objname ns out
  shift
  : >"$W/$name.cli.jsonl"
  for pool in "$@"; do
    while IFS=$'\t' read -r idx objname ns; do
      # (the CLI prints a newline before its JSON)
      if [[ -n "$ns" ]]; then out=$(c osd map "$pool" "$objname" "$ns" -f json); else out=$(c osd map "$pool" "$objname" -f json); fi
      out=${out//$'\n'/}
      printf '{"i":%s,"pool":"%s","out":%s}\n' "$idx" "$pool" "$out" >>"$W/$name.cli.jsonl"
    done <"$W/cli.tsv"
  done
}

helper names

# ---- s0: a fresh cluster, plus self-managed snapshots on pool rbd ----------------------
timeout 120 rbd create rbd/img --size 4M
timeout 120 rbd snap create rbd/img@s1
timeout 120 rbd snap create rbd/img@s2
timeout 120 rbd snap rm rbd/img@s1
stage s0 "fresh cluster: 3 OSDs under one host, pool rbd (8 PGs, size 1) with self-managed snaps"

# ---- s1: racks, hosts, fake OSDs, rules, pools ---------------------------------------
c osd set noout >/dev/null # the fake OSDs never boot: keep them in
ORIGHOST=$(c osd crush ls default | head -n1) # the host cluster.sh's OSDs started under
for i in 1 2 3; do c osd new "$(uuid)" >/dev/null; done # osd.3, osd.4, osd.5
for b in rack1 rack2; do c osd crush add-bucket "$b" rack >/dev/null; done
for b in h1 h2 h3 h4; do c osd crush add-bucket "$b" host >/dev/null; done
c osd crush move rack1 root=default >/dev/null
c osd crush move rack2 root=default >/dev/null
c osd crush move h1 rack=rack1 >/dev/null
c osd crush move h2 rack=rack1 >/dev/null
c osd crush move h3 rack=rack2 >/dev/null
c osd crush move h4 rack=rack2 >/dev/null
c osd crush set osd.0 1.0 host=h1 >/dev/null
c osd crush set osd.1 1.5 host=h2 >/dev/null
c osd crush set osd.2 2.0 host=h3 >/dev/null
c osd crush add osd.3 0.8 host=h4 >/dev/null
c osd crush add osd.4 1.2 host=h1 >/dev/null
c osd crush add osd.5 1.0 host=h4 >/dev/null
c osd crush rm "$ORIGHOST" >/dev/null # now empty
c osd crush rule create-replicated byhost default host >/dev/null
c osd crush rule create-replicated byrack default rack >/dev/null
c osd pool create p100 100 100 >/dev/null
c osd pool set p100 pgp_num_actual 60 >/dev/null
c osd pool set p100 crush_rule byhost >/dev/null
c osd pool set p100 size 3 >/dev/null
c osd pool application enable p100 rbd >/dev/null
c osd pool create p48 48 48 >/dev/null
c osd pool set p48 pgp_num_actual 20 >/dev/null
c osd pool set p48 crush_rule byrack >/dev/null
c osd pool set p48 size 2 >/dev/null
c osd pool set p48 hashpspool false --yes-i-really-mean-it >/dev/null
c osd erasure-code-profile set ec21 k=2 m=1 crush-failure-domain=osd >/dev/null
c osd pool create ec 12 12 erasure ec21 >/dev/null
c osd pool create p16 16 16 >/dev/null
c osd pool set p16 size 3 >/dev/null
stage s1 "racks/hosts, 3 fake down OSDs, unequal weights, rules byhost/byrack, pools p100 (pgp 60), p48 (pgp 20, no hashpspool), ec (k2m1), p16"

# ---- s2: reweight, out, primary affinity, crush reweight, pool snaps, quota ------------
c osd reweight 1 0.5 >/dev/null
c osd reweight 5 0.7 >/dev/null
c osd out 3 >/dev/null
c osd primary-affinity osd.0 0.25 >/dev/null
c osd primary-affinity osd.2 0 >/dev/null
c osd primary-affinity osd.4 0.6 >/dev/null
c osd crush reweight osd.4 3.0 >/dev/null
c osd pool mksnap p16 snapA >/dev/null
c osd pool set-quota p16 max_objects 5000 >/dev/null
c osd pool set-quota p16 max_bytes 1073741824 >/dev/null
stage s2 "reweight osd.1 0.5 / osd.5 0.7, osd.3 out, primary affinity 0.25/0/0.6, crush reweight, pool snap, quota"

# ---- s3: upmaps and temps --------------------------------------------------------------
try osd pg-upmap-items 2.1 0 2 1 4
try osd pg-upmap-items 2.2 1 0
try osd pg-upmap-items 2.3 2 3
try osd pg-upmap-items 4.0 0 4
try osd pg-upmap-items 3.5 0 1 1 0
try osd pg-upmap 2.4 2 1 0
try osd pg-upmap 2.5 3 1 0
try osd pg-upmap-items 2.5 1 2
try osd pg-upmap 4.2 1 2147483647 0
try osd pg-temp 2.6 0 1 2
try osd pg-temp 2.7 5 4
try osd pg-temp 4.3 2 5 1
try osd primary-temp 2.6 2
# The mon drops a primary_temp whose OSD is down or that names the primary anyway, and an
# OSD that changes a PG's pg_temp drops it too: to keep some, point a few clean PGs
# (no pg_temp, two or more up) at their second up OSD.
c osd getmap -o "$W/pre-s3.bin" >/dev/null
osdmaptool "$W/pre-s3.bin" --test-map-pgs-dump-all 2>/dev/null | "$PY" -c '
import re, sys
n = 0
for line in sys.stdin:
    m = re.match(r"^(\d+)\.([0-9a-f]+) raw \(\[[^]]*\], p-?\d+\) up \(\[([^]]*)\], p(-?\d+)\) acting \(\[([^]]*)\], p(-?\d+)\)$", line.strip())
    if not m or m.group(1) not in ("2", "5"):
        continue
    up, acting = m.group(3), m.group(5)
    osds = [int(x) for x in up.split(",")] if up else []
    if up == acting and len(osds) >= 2 and n < 4:
        print("%s.%s %d" % (m.group(1), m.group(2), osds[1]))
        n += 1
' >"$W/primary-temp.txt"
while read -r pg osd; do try osd primary-temp "$pg" "$osd"; done <"$W/primary-temp.txt"
stage s3 "pg-upmap-items, pg-upmap (the mon drops the one onto an out OSD), pg-temp, primary-temp"
cli_check s3 p100 ec

# ---- s4: weight-sets (compat and per pool) ---------------------------------------------
c osd crush weight-set create-compat >/dev/null
c osd crush weight-set reweight-compat osd.1 0.3 >/dev/null
c osd crush weight-set reweight-compat osd.4 2.0 >/dev/null
c osd crush weight-set create p100 positional >/dev/null
c osd crush weight-set reweight p100 osd.2 0.5 1.5 0.7 >/dev/null
c osd crush weight-set reweight p100 osd.4 2 0.1 1 >/dev/null
c osd crush weight-set create p16 flat >/dev/null
c osd crush weight-set reweight p16 osd.0 0.2 >/dev/null
stage s4 "weight-sets: compat (-1) and per pool (p100 positional, p16 flat)"

# ---- s5: a crushtool-compiled map: straw / tree / list buckets, more rules -------------
c osd getcrushmap -o "$W/crush-s4.bin" >/dev/null 2>&1
crushtool -d "$W/crush-s4.bin" -o "$W/crush-s4.txt"
"$PY" - "$W/crush-s4.txt" "$W/crush-s5.txt" <<'EOF_PY'
import re, sys
s = open(sys.argv[1]).read()
def setalg(s, name, alg):
    out, n = re.subn(r'(\n\w+ %s \{[^}]*?alg )straw2' % re.escape(name), r'\g<1>%s' % alg, s)
    assert n == 1, name
    return out
for name, alg in [('h1', 'straw'), ('h2', 'tree'), ('h3', 'list'), ('h4', 'straw'), ('rack1', 'straw')]:
    s = setalg(s, name, alg)
rules = '''
rule rack_host {
\tid 10
\ttype replicated
\tmin_size 1
\tmax_size 10
\tstep take default
\tstep choose firstn 2 type rack
\tstep chooseleaf firstn 2 type host
\tstep emit
}
rule ec_host {
\tid 11
\ttype erasure
\tmin_size 3
\tmax_size 6
\tstep set_chooseleaf_tries 5
\tstep set_choose_tries 100
\tstep take default class hdd
\tstep chooseleaf indep 0 type host
\tstep emit
}
'''
# rules go before the choose_args section (crushtool's grammar)
anchor = '# choose_args' if '# choose_args' in s else '# end crush map'
s = s.replace(anchor, rules + anchor, 1)
open(sys.argv[2], 'w').write(s)
EOF_PY
crushtool -c "$W/crush-s5.txt" -o "$W/crush-s5.bin"
c osd setcrushmap -i "$W/crush-s5.bin" >/dev/null
c osd pool set p16 crush_rule rack_host >/dev/null
c osd pool create ec2 8 8 erasure ec21 ec_host >/dev/null
stage s5 "setcrushmap: straw (h1, h4, rack1), tree (h2), list (h3) buckets with the weight-sets kept; rules rack_host (id 10), ec_host (id 11, class hdd); pool ec2"

# ---- s6: tunables ----------------------------------------------------------------------
c osd getcrushmap -o "$W/crush-s5b.bin" >/dev/null 2>&1
crushtool -d "$W/crush-s5b.bin" -o "$W/crush-s5b.txt"
sed -e 's/^tunable chooseleaf_stable 1/tunable chooseleaf_stable 0/' -e 's/^tunable chooseleaf_vary_r 1/tunable chooseleaf_vary_r 2/' \
  "$W/crush-s5b.txt" >"$W/crush-s6.txt"
if crushtool -c "$W/crush-s6.txt" -o "$W/crush-s6.bin" 2>"$W/try.err"; then
  try osd setcrushmap -i "$W/crush-s6.bin"
else
  log "crushtool refused the s6 tunables: $(cat "$W/try.err")"
fi
stage s6 "tunables chooseleaf_stable 0, chooseleaf_vary_r 2"

# ---- s7: churn: OSD down/removed, max_osd, pool removed/renamed/created, flags ----------
c osd set-require-min-compat-client nautilus >/dev/null
c osd blocklist add 127.0.0.1:0/3000 >/dev/null
c osd pool rename p16 p16b >/dev/null
c osd set noup >/dev/null
c osd down 0 >/dev/null
c osd crush remove osd.5 >/dev/null
c osd rm 5 >/dev/null
c osd setmaxosd 12 >/dev/null
c osd pool rm p48 p48 --yes-i-really-really-mean-it >/dev/null
c osd pool create p7 7 7 >/dev/null
c osd pool set p100 size 2 >/dev/null
c osd new "$(uuid)" >/dev/null # reuses id 5: exists, not in CRUSH
stage s7 "osd.0 down (noup), osd.5 removed and re-created, max_osd 12, pool p48 removed, p16 renamed, p7 (7 PGs), require_min_compat_client nautilus, blocklist"

STAGES_JSON+="]"
printf '%s\n' "$STAGES_JSON" >"$W/stages.json"

log "capturing MOSDMap messages and full maps"
helper capture
helper pack "$OUT"
ls -l "$OUT" >&2
log "done"
