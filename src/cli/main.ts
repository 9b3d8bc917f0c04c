#!/usr/bin/env node
// rbd-ts: the `rbd` command's verbs, spec syntax and output, over rbd-ts.

import { Rados, type ConnectOptions } from '../rados/rados.js';
import { CephError, errnoNumber } from '../encoding/errno.js';
import { GLOBAL_OPTIONS, configOverrides, flag, opt, parseArgs, type ParsedArgs } from './args.js';
import { describeError, parseFormat } from './output.js';
import { statusCommand } from './commands/status.js';

const USAGE = `usage: rbd-ts <command> [options]

commands:
  status            show the cluster fsid, mons, map epochs and the session's auth mode

global options:
${GLOBAL_OPTIONS.map((o) => `  ${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ' <value>' : ''}`.padEnd(30) + (o.help ?? '')).join('\n')}
  --<ceph_option> <value>     any Ceph option (e.g. --ms_mon_client_mode secure)
`;

export function connectOptions(p: ParsedArgs): ConnectOptions {
  const o: ConnectOptions = {};
  const conf = opt(p, 'conf');
  if (conf) o.conf = conf;
  const keyring = opt(p, 'keyring');
  if (keyring) o.keyring = keyring;
  const id = opt(p, 'id') ?? opt(p, 'user');
  if (id) o.id = id;
  const name = opt(p, 'name');
  if (name) o.name = name;
  const mon = opt(p, 'mon-host');
  if (mon) o.monHost = mon;
  const cluster = opt(p, 'cluster');
  if (cluster) o.cluster = cluster;
  const timeout = opt(p, 'timeout');
  if (timeout) {
    const s = Number(timeout);
    if (!Number.isFinite(s) || s <= 0) throw new CephError(errnoNumber('EINVAL'), `bad --timeout '${timeout}'`, { op: 'parse arguments' });
    o.timeoutMs = s * 1000;
  }
  const overrides = configOverrides(p, GLOBAL_OPTIONS);
  if (Object.keys(overrides).length) o.options = overrides;
  return o;
}

export async function main(argv: string[]): Promise<number> {
  let rados: Rados | undefined;
  try {
    const p = parseArgs(argv, GLOBAL_OPTIONS);
    const [command] = p.positional;
    if (!command || flag(p, 'help')) {
      process.stdout.write(USAGE);
      return command || flag(p, 'help') ? 0 : errnoNumber('EINVAL');
    }
    const format = parseFormat(opt(p, 'format'));
    const pretty = flag(p, 'pretty-format');
    switch (command) {
      case 'status':
        rados = await Rados.connect(connectOptions(p));
        await statusCommand(rados, format, pretty);
        return 0;
      default:
        throw new CephError(errnoNumber('EINVAL'), `unknown command '${command}' (see rbd-ts --help)`, { op: 'parse arguments' });
    }
  } catch (e) {
    const { line, status } = describeError(e);
    process.stderr.write(line + '\n');
    return status;
  } finally {
    rados?.shutdown();
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
