#!/usr/bin/env bash
# Captures the MOSDOp / MOSDOpReply / MWatchNotify bytes that librados (python3-rados)
# exchanges with a real OSD, for test/unit/osd-op-codec.test.ts.
#
#   scripts/capture-librados-ops.sh [-c CEPH_CONF] [-o OUT]
#
# Without -c (and without CEPH_CONF) a throwaway 1-OSD cluster is started with
# scripts/cluster.sh and always stopped on exit. OUT defaults to
# fixtures/librados-osd-ops.msgpack.
#
# How: a python3-rados script (below) runs a fixed list of API calls on pool "rbd" under
#   strace -f -e trace=connect,sendmsg,read,readv,recvfrom,write,writev,close -xx -s 20000000
# with ms_mon_client_mode = ms_client_mode = crc, so every frame is plain and parsable.
# Before and after each call it writes "@@CALL <i> <name>" / "@@END <i>" to fd 2; it
# records what each call returned (or its errno) in a JSON file.
# scripts/parse-strace-msgr2.ts rebuilds the TCP streams, splits the msgr2 frames, tags
# each OSD message with the call it belongs to and writes the fixture:
#   { format, recordedAt, ceph, fsid, poolId, pgNum, instanceId, calls: [{i, name, args, ok,
#     ret | errno}], messages: [{dir, conn, peerPort, call, callName, header, front,
#     middle, data}] }
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
CONF=${CEPH_CONF:-}
OUT=fixtures/librados-osd-ops.msgpack
while (($#)); do
  case $1 in
    -c) CONF=$2; shift 2 ;;
    -o) OUT=$2; shift 2 ;;
    *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
command -v strace >/dev/null || { echo "strace not found (apt-get install strace)" >&2; exit 1; }
"$PY" -c 'import rados' || { echo "python3-rados not found (apt-get install python3-rados)" >&2; exit 1; }

TMP=$(mktemp -d)
CLUSTER=
cleanup() {
  if [[ -n "$CLUSTER" ]]; then bash scripts/cluster.sh stop "$CLUSTER" >&2 || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

if [[ -z "$CONF" ]]; then
  CLUSTER=$(bash scripts/cluster.sh start --osds 1 | tail -n 1)
  CONF=$CLUSTER/ceph.conf
fi

cat >"$TMP/ops.py" <<'PYEOF'
# Each call(name, fn, **args) is one librados API call; args are what the test feeds to
# our op builder for the same call. bytes are recorded as hex.
import json, os, struct, sys, threading, time
import rados

conf_path, out_path = sys.argv[1], sys.argv[2]
calls = []

def hx(b):
    return b.hex() if isinstance(b, (bytes, bytearray)) else b

def call(_name, _fn, **args):
    i = len(calls)
    os.write(2, ('@@CALL %d %s\n' % (i, _name)).encode())
    rec = {'i': i, 'name': _name, 'args': {k: hx(v) for k, v in args.items()}}
    try:
        rec['ret'] = _fn()
        rec['ok'] = True
    except rados.Error as e:
        rec['ok'] = False
        rec['errno'] = getattr(e, 'errno', None)
        rec['error'] = type(e).__name__ + ': ' + str(e)
    os.write(2, ('@@END %d\n' % i).encode())
    calls.append(rec)

r = rados.Rados(conffile=conf_path, conf={'ms_mon_client_mode': 'crc', 'ms_client_mode': 'crc'})
r.connect()
io = r.open_ioctx('rbd')

def wr(fn, oid):
    with rados.WriteOpCtx() as op:
        fn(op)
        io.operate_write_op(op, oid)

def rd(fn, oid):
    with rados.ReadOpCtx() as op:
        res = fn(op)
        io.operate_read_op(op, oid)
        return res

O = 'fxobj'
call('write_full', lambda: io.write_full(O, b'hello world'), oid=O, data=b'hello world')
call('write', lambda: io.write(O, b'XY', 6), oid=O, data=b'XY', offset=6)
call('append', lambda: io.append(O, b'!tail'), oid=O, data=b'!tail')
call('read', lambda: hx(io.read(O)), oid=O, length=8192, offset=0)
call('read_len', lambda: hx(io.read(O, 5, 2)), oid=O, length=5, offset=2)
def stat(oid):
    size, mtime = io.stat(oid)
    return {'size': size, 'mtime': time.mktime(mtime)}
call('stat', lambda: stat(O), oid=O)
call('set_xattr', lambda: io.set_xattr(O, 'user.color', b'blue'), oid=O, name='user.color', value=b'blue')
call('get_xattr', lambda: hx(io.get_xattr(O, 'user.color')), oid=O, name='user.color')
call('set_xattr2', lambda: io.set_xattr(O, 'user.size', b'XL'), oid=O, name='user.size', value=b'XL')
call('get_xattrs', lambda: {k: hx(v) for k, v in io.get_xattrs(O)}, oid=O)
call('rm_xattr', lambda: io.rm_xattr(O, 'user.color'), oid=O, name='user.color')
call('get_xattr_missing', lambda: hx(io.get_xattr(O, 'user.color')), oid=O, name='user.color')
call('trunc', lambda: io.trunc(O, 4), oid=O, size=4)
call('read_after_trunc', lambda: hx(io.read(O)), oid=O, length=8192, offset=0)
call('cmpext_match', lambda: io.cmpext(O, b'hel', 0), oid=O, data=b'hel', offset=0)
call('cmpext_mismatch', lambda: io.cmpext(O, b'help', 0), oid=O, data=b'help', offset=0)

call('set_omap', lambda: wr(lambda op: io.set_omap(op, ('k1', 'k2', 'k3'), (b'v1', b'v2', b'value3')), O),
     oid=O, kv={'k1': b'v1'.hex(), 'k2': b'v2'.hex(), 'k3': b'value3'.hex()})
def omap_vals(start, prefix, mx):
    return {k: hx(v) for k, v in rd(lambda op: io.get_omap_vals(op, start, prefix, mx)[0], O)}
call('get_omap_vals', lambda: omap_vals('', '', 10), oid=O, start_after='', filter_prefix='', max_return=10)
call('get_omap_vals_after', lambda: omap_vals('k1', '', 1), oid=O, start_after='k1', filter_prefix='', max_return=1)
call('get_omap_vals_prefix', lambda: omap_vals('', 'k3', 5), oid=O, start_after='', filter_prefix='k3', max_return=5)
def omap_keys(start, mx):
    return [k for k, v in rd(lambda op: io.get_omap_keys(op, start, mx)[0], O)]
call('get_omap_keys', lambda: omap_keys('', 10), oid=O, start_after='', max_return=10)
call('get_omap_vals_by_keys', lambda: {k: hx(v) for k, v in rd(lambda op: io.get_omap_vals_by_keys(op, ('k3', 'k1', 'nokey'))[0], O)},
     oid=O, keys=['k3', 'k1', 'nokey'])
call('remove_omap_keys', lambda: wr(lambda op: io.remove_omap_keys(op, ('k2',)), O), oid=O, keys=['k2'])
call('get_omap_keys_after_rm', lambda: omap_keys('', 10), oid=O, start_after='', max_return=10)
call('clear_omap', lambda: wr(lambda op: io.clear_omap(op), O), oid=O)
call('get_omap_keys_after_clear', lambda: omap_keys('', 10), oid=O, start_after='', max_return=10)

# cls_lock_get_info_op: ENCODE_START(1, 1) { string name }
body = struct.pack('<I', 6) + b'mylock'
getinfo_in = b'\x01\x01' + struct.pack('<I', len(body)) + body
def exe(cls, method, data):
    ret, out = io.execute(O, cls, method, data)
    return {'ret': ret, 'out': hx(out)}
call('exec_lock_get_info', lambda: exe('lock', 'get_info', getinfo_in), oid=O, cls='lock', method='get_info', input=getinfo_in)
call('exec_unknown_method', lambda: exe('lock', 'no_such_method', b'xyz'), oid=O, cls='lock', method='no_such_method', input=b'xyz')
call('exec_hello', lambda: exe('hello', 'say_hello', b'fx'), oid=O, cls='hello', method='say_hello', input=b'fx')

call('remove', lambda: io.remove_object(O), oid=O)
call('stat_missing', lambda: stat(O), oid=O)
call('read_missing', lambda: hx(io.read('fxmissing')), oid='fxmissing', length=8192, offset=0)
call('remove_missing', lambda: io.remove_object('fxmissing'), oid='fxmissing')

N = 'fxnew'
call('create_excl', lambda: wr(lambda op: op.new(rados.LIBRADOS_CREATE_EXCLUSIVE), N), oid=N, exclusive=True)
call('create_excl_exists', lambda: wr(lambda op: op.new(rados.LIBRADOS_CREATE_EXCLUSIVE), N), oid=N, exclusive=True)
call('create_idempotent', lambda: wr(lambda op: op.new(rados.LIBRADOS_CREATE_IDEMPOTENT), N), oid=N, exclusive=False)
call('write_op_exec_hello', lambda: wr(lambda op: op.execute('hello', 'record_hello', b'fx'), 'fxhello'),
     oid='fxhello', cls='hello', method='record_hello', input=b'fx')
call('read_hello', lambda: hx(io.read('fxhello')), oid='fxhello', length=8192, offset=0)

C = 'fxcomp'
def compound(op):
    op.new(rados.LIBRADOS_CREATE_IDEMPOTENT)
    op.write_full(b'compound')
    op.write(b'ZZ', 2)
    op.append(b'+a')
    # python-rados 16.2 WriteOp.zero(offset, length) passes (length, offset) to
    # rados_write_op_zero; zero(1, 0) sends ZERO offset 0 length 1. (A ZERO of length 0
    # trips ceph_assert(op.extent.length) in the 16.2.15 OSD and kills it.)
    op.zero(1, 0)
    op.truncate(9)
    op.set_xattr('user.x', b'1')
    op.rm_xattr('user.none')
    op.set_flags(rados.LIBRADOS_OP_FLAG_FAILOK)
    io.set_omap(op, ('a', 'b'), (b'1', b'2'))
    io.remove_omap_keys(op, ('b',))
call('compound_write', lambda: wr(compound, C), oid=C)
call('compound_read_back', lambda: hx(io.read(C)), oid=C, length=8192, offset=0)
def cread(op):
    op.cmpext(b'\x00oZ', 0)
    return io.get_omap_keys(op, '', 10)[0], io.get_omap_vals_by_keys(op, ('a',))[0]
def compound_read():
    keys, vals = rd(cread, C)
    return {'keys': [k for k, v in keys], 'vals': {k: hx(v) for k, v in vals}}
call('compound_read', compound_read, oid=C)

W = 'fxwatch'
call('watch_setup_write', lambda: io.write_full(W, b'w'), oid=W, data=b'w')
got = []
ev = threading.Event()
def cb(notify_id, notifier_id, watch_id, data):
    got.append({'notify_id': notify_id, 'notifier_id': notifier_id, 'watch_id': watch_id, 'data': hx(data)})
    ev.set()
holder = {}
def do_watch():
    holder['w'] = io.watch(W, cb)
    return holder['w'].get_id()
call('watch', do_watch, oid=W)
def do_notify():
    ok = io.notify(W, 'ping', 5000)
    ev.wait(5)
    return {'ok': ok, 'got': got}
call('notify', do_notify, oid=W, msg=b'ping', timeout_ms=5000)
call('unwatch', lambda: holder['w'].close(), oid=W)
for o in (N, C, W, 'fxhello'):
    call('cleanup_remove', lambda: io.remove_object(o), oid=o)

pool_id = io.get_pool_id()
ret, outbuf, outs = r.mon_command(json.dumps({'prefix': 'osd pool get', 'pool': 'rbd', 'var': 'pg_num', 'format': 'json'}), b'')
pg_num = json.loads(outbuf)['pg_num']
instance_id = r.get_instance_id()
fsid = r.get_fsid()
io.close()
r.shutdown()
with open(out_path, 'w') as f:
    json.dump({'fsid': fsid, 'poolId': pool_id, 'pgNum': pg_num, 'instanceId': instance_id, 'calls': calls}, f, indent=1)
PYEOF

echo "capturing against $CONF" >&2
timeout 120 strace -f -o "$TMP/trace.txt" -e trace=connect,sendmsg,read,readv,recvfrom,write,writev,close -xx -s 20000000 \
  "$PY" "$TMP/ops.py" "$CONF" "$TMP/results.json" 2>"$TMP/stderr.txt" || {
  echo "the python3-rados script failed:" >&2
  grep -v '^@@' "$TMP/stderr.txt" | tail -n 20 >&2
  exit 1
}
node --import=tsx scripts/parse-strace-msgr2.ts "$TMP/trace.txt" "$TMP/results.json" "$OUT" "$(ceph --version 2>/dev/null || true)"
