#!/usr/bin/env node
// rbd-ts: the `rbd` command's verbs, spec syntax and output, over rbd-ts.

import type { ConnectOptions } from '../rados/rados.js';
import { CephError, errnoNumber } from '../encoding/errno.js';
import { ALL_OPTIONS, COMMAND_OPTIONS, GLOBAL_OPTIONS, configOverrides, flag, opt, parseArgs, type ParsedArgs } from './args.js';
import { parseFormat, runCommand, usageError } from './output.js';
import { statusCommand } from './commands/status.js';
import { glanceMain } from './commands/glance.js';
import { novaMain } from './commands/nova.js';
import { benchCloneCommand } from './commands/bench.js';
import type { CommandContext } from './commands/common.js';
import { checkSingle } from './commands/common.js';
import { childrenCommand, cloneCommand, createCommand, infoCommand, listCommand, removeCommand, renameCommand, resizeCommand } from './commands/image.js';
import {
  snapCreateCommand,
  snapListCommand,
  snapProtectCommand,
  snapRemoveCommand,
  snapRenameCommand,
  snapRollbackCommand,
  snapUnprotectCommand,
} from './commands/snap.js';
import { exportCommand, flattenCommand, importCommand } from './commands/transfer.js';

interface Command {
  /** every spelling: the first is the name, the rest rbd's aliases */
  names: string[][];
  /** command options accepted (rbd's per-command list) */
  options: string[];
  /** positional arguments accepted after the command words */
  positionals: number;
  usage: string;
  help: string;
  run(ctx: CommandContext): Promise<void>;
}

const SPEC = ['pool', 'namespace', 'image'];
const OUT = ['format', 'pretty-format'];
const CREATE = ['order', 'object-size', 'image-feature', 'stripe-unit', 'stripe-count', 'data-pool'];
const DEST = ['dest-pool', 'dest-namespace', 'dest'];

const COMMANDS: Command[] = [
  { names: [['create']], options: [...SPEC, 'size', ...CREATE, 'no-progress'], positionals: 1, usage: 'create --size <size> <image-spec>', help: 'Create an empty image.', run: createCommand },
  { names: [['ls'], ['list']], options: ['long', 'pool', 'namespace', ...OUT], positionals: 1, usage: 'ls [-l] [<pool-name>[/<namespace>]]', help: 'List rbd images.', run: listCommand },
  { names: [['info']], options: [...SPEC, 'snap', ...OUT], positionals: 1, usage: 'info <image-or-snap-spec>', help: 'Show information about image size, striping, etc.', run: infoCommand },
  { names: [['rm'], ['remove']], options: [...SPEC, 'no-progress'], positionals: 1, usage: 'rm <image-spec>', help: 'Delete an image.', run: removeCommand },
  { names: [['resize']], options: [...SPEC, 'size', 'allow-shrink', 'no-progress'], positionals: 1, usage: 'resize --size <size> [--allow-shrink] <image-spec>', help: 'Resize (expand or shrink) image.', run: resizeCommand },
  { names: [['rename'], ['mv']], options: [...SPEC, ...DEST], positionals: 2, usage: 'rename <source-image-spec> <dest-image-spec>', help: 'Rename image within pool.', run: renameCommand },
  { names: [['clone']], options: [...SPEC, 'snap', ...DEST, ...CREATE], positionals: 2, usage: 'clone <source-snap-spec> <dest-image-spec>', help: 'Clone a snapshot into a CoW child image.', run: cloneCommand },
  { names: [['children']], options: [...SPEC, 'snap', 'all', ...OUT], positionals: 1, usage: 'children [-a] <image-or-snap-spec>', help: 'Display children of an image or its snapshot.', run: childrenCommand },
  { names: [['snap', 'create'], ['snap', 'add']], options: [...SPEC, 'snap', 'no-progress'], positionals: 1, usage: 'snap create <snap-spec>', help: 'Create a snapshot.', run: snapCreateCommand },
  { names: [['snap', 'ls'], ['snap', 'list']], options: [...SPEC, ...OUT], positionals: 1, usage: 'snap ls <image-spec>', help: 'Dump list of image snapshots.', run: snapListCommand },
  { names: [['snap', 'rm'], ['snap', 'remove']], options: [...SPEC, 'snap', 'no-progress'], positionals: 1, usage: 'snap rm <snap-spec>', help: 'Delete a snapshot.', run: snapRemoveCommand },
  { names: [['snap', 'rename']], options: [...SPEC, 'snap', ...DEST, 'dest-snap'], positionals: 2, usage: 'snap rename <source-snap-spec> <dest-snap-spec>', help: 'Rename a snapshot.', run: snapRenameCommand },
  { names: [['snap', 'protect']], options: [...SPEC, 'snap'], positionals: 1, usage: 'snap protect <snap-spec>', help: 'Prevent a snapshot from being deleted.', run: snapProtectCommand },
  { names: [['snap', 'unprotect']], options: [...SPEC, 'snap'], positionals: 1, usage: 'snap unprotect <snap-spec>', help: 'Allow a snapshot to be deleted.', run: snapUnprotectCommand },
  { names: [['snap', 'rollback'], ['snap', 'revert']], options: [...SPEC, 'snap', 'no-progress'], positionals: 1, usage: 'snap rollback <snap-spec>', help: 'Rollback image to snapshot.', run: snapRollbackCommand },
  { names: [['bench-clone']], options: ['pool', 'namespace', 'sizes', 'count', 'depth', ...OUT], positionals: 0, usage: 'bench-clone [--sizes 64M,256M] [--count N]', help: 'Time clones against bulk object writes (rbd-ts).', run: benchCloneCommand },
  { names: [['import']], options: ['dest-pool', 'dest-namespace', 'dest', 'image-format', ...CREATE, 'no-progress'], positionals: 2, usage: 'import [--image-format 2] [--object-size <size>] FILE|- [<dest-image-spec>]', help: 'Import image from file.', run: importCommand },
  { names: [['export']], options: [...SPEC, 'snap', 'no-progress'], positionals: 2, usage: 'export <image-or-snap-spec> [FILE|-]', help: 'Export image to file.', run: exportCommand },
  { names: [['flatten']], options: [...SPEC, 'no-progress'], positionals: 1, usage: 'flatten <image-spec>', help: 'Fill clone with parent data (make it independent).', run: flattenCommand },
];

/** Options every command takes (connection and help); --format only where output is printed. */
const ALWAYS = new Set(GLOBAL_OPTIONS.map((o) => o.name).filter((n) => !OUT.includes(n)));

const USAGE = `usage: rbd-ts <command> [options]

commands:
  status                          show the cluster fsid, mons, map epochs and the session's auth mode
  glance add|rm, nova create-disk|boot-many|cleanup   the Glance rbd store and Nova clones (rbd-ts glance help, rbd-ts nova help)
${COMMANDS.map((c) => `  ${c.names.slice(1).length ? `${c.usage} (${c.names.slice(1).map((n) => n.join(' ')).join(', ')})` : c.usage}`.padEnd(54) + ' ' + c.help).join('\n')}

  <image-spec>: [<pool>/[<namespace>/]]<image>, <snap-spec>: ...<image>@<snap>; default pool rbd

global options:
${GLOBAL_OPTIONS.map((o) => `  ${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ' <value>' : ''}`.padEnd(30) + (o.help ?? '')).join('\n')}
  --<ceph_option> <value>     any Ceph option (e.g. --ms_mon_client_mode secure, --rbd_default_clone_format 2)

command options:
${COMMAND_OPTIONS.map((o) => `  ${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ' <value>' : ''}`.padEnd(30) + (o.help ?? '')).join('\n')}
`;

function findCommand(words: readonly string[]): { command: Command; used: number } | undefined {
  for (const command of COMMANDS) {
    for (const name of command.names) {
      if (name.every((w, i) => words[i] === w)) return { command, used: name.length };
    }
  }
  return undefined;
}

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
  const overrides = configOverrides(p, ALL_OPTIONS);
  if (Object.keys(overrides).length) o.options = overrides;
  return o;
}

export async function main(argv: string[]): Promise<number> {
  // the OpenStack verbs have their own options (rbd-ts glance help, rbd-ts nova help)
  if (argv[0] === 'glance') return glanceMain(argv.slice(1), connectOptions);
  if (argv[0] === 'nova') return novaMain(argv.slice(1), connectOptions);
  return runCommand(async (connect) => {
    const p = parseArgs(argv, ALL_OPTIONS);
    const [first] = p.positional;
    if (!first || flag(p, 'help') || first === 'help') {
      process.stdout.write(USAGE);
      return first || flag(p, 'help') ? 0 : errnoNumber('EINVAL');
    }
    if (first === 'status') {
      checkOptions(p, OUT);
      const format = parseFormat(opt(p, 'format'));
      await statusCommand(await connect(connectOptions(p)), format, flag(p, 'pretty-format'));
      return 0;
    }
    const found = findCommand(p.positional);
    if (!found) throw new CephError(errnoNumber('EINVAL'), `unknown command '${p.positional.slice(0, first === 'snap' ? 2 : 1).join(' ')}' (see rbd-ts --help)`, { op: 'parse arguments' });
    const { command, used } = found;
    checkOptions(p, command.options);
    const positional = p.positional.slice(used);
    if (positional.length > command.positionals) throw usageError('too many arguments');
    checkSingle(
      { all: (n: string) => p.options.get(n) ?? [] } as CommandContext,
      command.options.filter((n) => n !== 'image-feature' && COMMAND_OPTIONS.find((o) => o.name === n)?.value),
    );
    const ctx: CommandContext = {
      positional,
      format: parseFormat(opt(p, 'format')),
      pretty: flag(p, 'pretty-format'),
      opt: (n) => opt(p, n),
      all: (n) => p.options.get(n) ?? [],
      flag: (n) => flag(p, n),
      rados: () => connect(connectOptions(p)),
      warn: (line) => process.stderr.write(`rbd-ts: ${line}\n`),
    };
    await command.run(ctx);
    return 0;
  });
}

/** rbd refuses options the command does not take ("unrecognised option"). */
function checkOptions(p: ParsedArgs, allowed: readonly string[]): void {
  const known = new Set(ALL_OPTIONS.map((o) => o.name));
  for (const name of p.options.keys()) {
    if (known.has(name) && !ALWAYS.has(name) && !allowed.includes(name)) throw usageError(`unrecognised option '--${name}'`);
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
