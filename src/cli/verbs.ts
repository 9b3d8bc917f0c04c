// The rbd-ts command line, read as rbd's Shell reads it: every option is parsed first,
// wherever it stands (before the verb, between its words, after), then the positional words
// name the command (`snap create`, `glance add`, `nova boot-many`, ...) and what is left are
// its arguments. One table, one path for every verb: the options a verb does not take are
// refused ("unrecognised option"), the global ones (-c, -k, --id, -n, -m, --<ceph_option>)
// are taken by all. `--help` / `help <command>` print a command's or a group's help.

import { errnoNumber, CephError } from '../encoding/errno.js';
import { ALL_OPTIONS, COMMAND_OPTIONS, GLOBAL_OPTIONS, flag, parseArgs, type OptionSpec, type ParsedArgs } from './args.js';
import { usageError } from './output.js';
import { benchCloneCommand } from './commands/bench.js';
import { checkSingle, type CommandContext } from './commands/common.js';
import { glanceAddCommand, glanceRmCommand } from './commands/glance.js';
import { childrenCommand, cloneCommand, createCommand, infoCommand, listCommand, removeCommand, renameCommand, resizeCommand } from './commands/image.js';
import { novaBootManyCommand, novaCleanupCommand, novaCreateDiskCommand } from './commands/nova.js';
import { orphansListCommand, orphansRemoveCommand } from './commands/orphans.js';
import {
  snapCreateCommand,
  snapListCommand,
  snapProtectCommand,
  snapRemoveCommand,
  snapRenameCommand,
  snapRollbackCommand,
  snapUnprotectCommand,
} from './commands/snap.js';
import { statusCommand } from './commands/status.js';
import { exportCommand, flattenCommand, importCommand } from './commands/transfer.js';

export interface Command {
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
const GLANCE = ['glance-url', 'token'];

export const COMMANDS: Command[] = [
  {
    names: [['status']],
    options: [...OUT],
    positionals: 0,
    usage: 'status',
    help: "Show the cluster fsid, mons, map epochs and the session's auth mode.",
    run: async (ctx) => statusCommand(await ctx.rados(), ctx.format, ctx.pretty),
  },
  {
    names: [['create']],
    options: [...SPEC, 'size', ...CREATE, 'no-progress'],
    positionals: 1,
    usage: 'create --size <size> <image-spec>',
    help: 'Create an empty image.',
    run: createCommand,
  },
  {
    names: [['ls'], ['list']],
    options: ['long', 'pool', 'namespace', ...OUT],
    positionals: 1,
    usage: 'ls [-l] [<pool-name>[/<namespace>]]',
    help: 'List rbd images.',
    run: listCommand,
  },
  {
    names: [['info']],
    options: [...SPEC, 'snap', ...OUT],
    positionals: 1,
    usage: 'info <image-or-snap-spec>',
    help: 'Show information about image size, striping, etc.',
    run: infoCommand,
  },
  { names: [['rm'], ['remove']], options: [...SPEC, 'no-progress'], positionals: 1, usage: 'rm <image-spec>', help: 'Delete an image.', run: removeCommand },
  {
    names: [['resize']],
    options: [...SPEC, 'size', 'allow-shrink', 'no-progress'],
    positionals: 1,
    usage: 'resize --size <size> [--allow-shrink] <image-spec>',
    help: 'Resize (expand or shrink) image.',
    run: resizeCommand,
  },
  {
    names: [['rename'], ['mv']],
    options: [...SPEC, ...DEST],
    positionals: 2,
    usage: 'rename <source-image-spec> <dest-image-spec>',
    help: 'Rename image within pool.',
    run: renameCommand,
  },
  {
    names: [['clone']],
    options: [...SPEC, 'snap', ...DEST, ...CREATE],
    positionals: 2,
    usage: 'clone <source-snap-spec> <dest-image-spec>',
    help: 'Clone a snapshot into a CoW child image.',
    run: cloneCommand,
  },
  {
    names: [['children']],
    options: [...SPEC, 'snap', 'all', ...OUT],
    positionals: 1,
    usage: 'children [-a] <image-or-snap-spec>',
    help: 'Display children of an image or its snapshot.',
    run: childrenCommand,
  },
  {
    names: [
      ['snap', 'create'],
      ['snap', 'add'],
    ],
    options: [...SPEC, 'snap', 'no-progress'],
    positionals: 1,
    usage: 'snap create <snap-spec>',
    help: 'Create a snapshot.',
    run: snapCreateCommand,
  },
  {
    names: [
      ['snap', 'ls'],
      ['snap', 'list'],
    ],
    options: [...SPEC, ...OUT],
    positionals: 1,
    usage: 'snap ls <image-spec>',
    help: 'Dump list of image snapshots.',
    run: snapListCommand,
  },
  {
    names: [
      ['snap', 'rm'],
      ['snap', 'remove'],
    ],
    options: [...SPEC, 'snap', 'no-progress'],
    positionals: 1,
    usage: 'snap rm <snap-spec>',
    help: 'Delete a snapshot.',
    run: snapRemoveCommand,
  },
  {
    names: [['snap', 'rename']],
    options: [...SPEC, 'snap', ...DEST, 'dest-snap'],
    positionals: 2,
    usage: 'snap rename <source-snap-spec> <dest-snap-spec>',
    help: 'Rename a snapshot.',
    run: snapRenameCommand,
  },
  {
    names: [['snap', 'protect']],
    options: [...SPEC, 'snap'],
    positionals: 1,
    usage: 'snap protect <snap-spec>',
    help: 'Prevent a snapshot from being deleted.',
    run: snapProtectCommand,
  },
  {
    names: [['snap', 'unprotect']],
    options: [...SPEC, 'snap'],
    positionals: 1,
    usage: 'snap unprotect <snap-spec>',
    help: 'Allow a snapshot to be deleted.',
    run: snapUnprotectCommand,
  },
  {
    names: [
      ['snap', 'rollback'],
      ['snap', 'revert'],
    ],
    options: [...SPEC, 'snap', 'no-progress'],
    positionals: 1,
    usage: 'snap rollback <snap-spec>',
    help: 'Rollback image to snapshot.',
    run: snapRollbackCommand,
  },
  {
    names: [
      ['orphans', 'ls'],
      ['orphans', 'list'],
    ],
    options: ['pool', 'namespace', 'older-than', ...OUT],
    positionals: 1,
    usage: 'orphans ls [<pool-name>[/<namespace>]] [--older-than SECONDS]',
    help: 'List what no image owns: nameless headers, object maps and data, broken names, clone records of missing children (rbd-ts).',
    run: orphansListCommand,
  },
  {
    names: [
      ['orphans', 'rm'],
      ['orphans', 'remove'],
    ],
    options: ['pool', 'namespace', 'older-than', 'dry-run', ...OUT],
    positionals: 1,
    usage: 'orphans rm [<pool-name>[/<namespace>]] [--older-than SECONDS] [--dry-run]',
    help: 'Remove what orphans ls lists, each completely (rbd-ts).',
    run: orphansRemoveCommand,
  },
  {
    names: [['bench-clone']],
    options: ['pool', 'namespace', 'sizes', 'count', 'depth', ...OUT],
    positionals: 0,
    usage: 'bench-clone [--sizes 64M,256M] [--count N]',
    help: 'Time clones against bulk object writes (rbd-ts).',
    run: benchCloneCommand,
  },
  {
    names: [['import']],
    options: ['dest-pool', 'dest-namespace', 'dest', 'image-format', ...CREATE, 'no-progress'],
    positionals: 2,
    usage: 'import [--image-format 2] [--object-size <size>] FILE|- [<dest-image-spec>]',
    help: 'Import image from file.',
    run: importCommand,
  },
  {
    names: [['export']],
    options: [...SPEC, 'snap', 'no-progress'],
    positionals: 2,
    usage: 'export <image-or-snap-spec> [FILE|-]',
    help: 'Export image to file.',
    run: exportCommand,
  },
  {
    names: [['flatten']],
    options: [...SPEC, 'no-progress'],
    positionals: 1,
    usage: 'flatten <image-spec>',
    help: 'Fill clone with parent data (make it independent).',
    run: flattenCommand,
  },
  {
    names: [['glance', 'add']],
    options: ['pool', 'image-id', 'chunk-size', ...GLANCE, ...OUT],
    positionals: 1,
    usage: 'glance add FILE [--pool images] [--image-id ID] [--chunk-size 8] [--glance-url URL]',
    help: "Store FILE as Glance's rbd store does (image ID, protected snapshot 'snap'); print the location; with --glance-url (or $OS_IMAGE_URL) register it as a Glance image.",
    run: glanceAddCommand,
  },
  {
    names: [
      ['glance', 'rm'],
      ['glance', 'remove'],
    ],
    options: ['pool'],
    positionals: 1,
    usage: 'glance rm LOCATION',
    help: 'Delete an rbd://fsid/pool/image/snap location (EBUSY while clones exist).',
    run: glanceRmCommand,
  },
  {
    names: [['nova', 'create-disk']],
    options: ['pool', 'size', ...GLANCE, ...OUT],
    positionals: 2,
    usage: 'nova create-disk IMAGE POOL/DISK [--size SIZE] [--glance-url URL]',
    help: "Clone the image's snapshot as POOL/DISK when cloneable, else download it from Glance and import it.",
    run: novaCreateDiskCommand,
  },
  {
    names: [['nova', 'boot-many']],
    options: ['pool', 'size', 'count', 'parallel', 'prefix', ...GLANCE, ...OUT],
    positionals: 1,
    usage: 'nova boot-many IMAGE --count N [--parallel 8] [--pool rbd] [--prefix vm-] [--size SIZE]',
    help: 'N disks from one image, at most --parallel at once; print each disk and the total.',
    run: novaBootManyCommand,
  },
  {
    names: [['nova', 'cleanup']],
    options: [...OUT],
    positionals: 2,
    usage: 'nova cleanup POOL PREFIX',
    help: 'Remove every image of POOL whose name starts with PREFIX.',
    run: novaCleanupCommand,
  },
];

/** What a group's help adds under its commands. */
const GROUP_NOTES: Record<string, string> = {
  orphans: 'SECONDS defaults to 60: an image being created or removed looks like debris for a moment',
  glance: 'ID defaults to a new UUID; --glance-url defaults to $OS_IMAGE_URL, --token to $OS_AUTH_TOKEN',
  nova:
    'IMAGE is a Glance image id (needs --glance-url or $OS_IMAGE_URL; --token or $OS_AUTH_TOKEN if Keystone)\n' +
    '  or an rbd://fsid/pool/image/snap location; SIZE as rbd --size (plain numbers are MiB)',
};

/** Words that start multi-word commands (snap, glance, nova). */
const GROUPS = new Set(COMMANDS.flatMap((c) => c.names.filter((n) => n.length > 1).map((n) => n[0]!)));

/** Options every command takes (connection and help); --format only where output is printed. */
const ALWAYS = new Set(GLOBAL_OPTIONS.map((o) => o.name).filter((n) => !OUT.includes(n)));

const optionLine = (o: OptionSpec): string => `  ${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ' <value>' : ''}`.padEnd(30) + (o.help ?? '');

export const USAGE = `usage: rbd-ts <command> [options]

commands:
${COMMANDS.map(
  (c) =>
    `  ${
      c.names.slice(1).length
        ? `${c.usage} (${c.names
            .slice(1)
            .map((n) => n.join(' '))
            .join(', ')})`
        : c.usage
    }`.padEnd(54) +
    ' ' +
    c.help,
).join('\n')}

  <image-spec>: [<pool>/[<namespace>/]]<image>, <snap-spec>: ...<image>@<snap>; default pool rbd
  options go before or after the command (rbd-ts -c ceph.conf glance add ...); rbd-ts <command> --help for one command

global options:
${GLOBAL_OPTIONS.map(optionLine).join('\n')}
  --<ceph_option> <value>     any Ceph option (e.g. --ms_mon_client_mode secure, --rbd_default_clone_format 2)

command options:
${COMMAND_OPTIONS.map(optionLine).join('\n')}
`;

/** rbd help <command>: its usage, what it does and the options it takes. */
function commandHelp(c: Command): string {
  const aliases = c.names.slice(1).map((n) => n.join(' '));
  const own = c.options.map((n) => ALL_OPTIONS.find((o) => o.name === n)).filter((o): o is OptionSpec => o !== undefined);
  const notes = GROUP_NOTES[c.names[0]![0]!];
  return (
    `usage: rbd-ts ${c.usage}\n${aliases.length ? `  (also: ${aliases.join(', ')})\n` : ''}\n${c.help}\n` +
    (own.length ? `\noptions:\n${own.map(optionLine).join('\n')}\n` : '') +
    (notes ? `\n  ${notes}\n` : '') +
    '\nglobal options (-c, -k, --id, -n, -m, --<ceph_option> <value>, ...) anywhere on the line: rbd-ts --help\n'
  );
}

/** The commands of a group (rbd-ts glance --help), as `rbd help snap` lists them. */
function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.names[0]![0] === group);
  const notes = GROUP_NOTES[group];
  return (
    `usage:\n${commands.map((c) => `  rbd-ts ${c.usage}\n        ${c.help}\n`).join('')}` +
    (notes ? `  ${notes}\n` : '') +
    '  options before or after the command; global options (-c, -k, --id, -n, -m) as for every command (rbd-ts --help)\n'
  );
}

export function findCommand(words: readonly string[]): { command: Command; used: number } | undefined {
  for (const command of COMMANDS) {
    for (const name of command.names) {
      if (name.every((w, i) => words[i] === w)) return { command, used: name.length };
    }
  }
  return undefined;
}

/** What the command line asks for: help to print (and the exit status), or a command to run. */
export type CommandLine = { help: string; status: number } | { command: Command; positional: string[]; args: ParsedArgs };

const EINVAL = errnoNumber('EINVAL');

/**
 * Parse argv for every verb alike: options anywhere (parseArgs), then the command from the
 * positional words. Throws the errors rbd gives before it connects: unknown command,
 * "unrecognised option", too many arguments, a value option given twice.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const p = parseArgs(argv, ALL_OPTIONS);
  const helpWord = p.positional[0] === 'help';
  const asked = helpWord || flag(p, 'help');
  const words = helpWord ? p.positional.slice(1) : p.positional;
  if (!words.length) return { help: USAGE, status: asked ? 0 : EINVAL };
  const found = findCommand(words);
  if (!found) {
    const group = words[0]!;
    // `rbd-ts glance`, `rbd-ts glance help`, `rbd-ts glance --help`: the group's commands
    if (GROUPS.has(group) && (words.length === 1 || (words.length === 2 && words[1] === 'help'))) {
      return { help: groupHelp(group), status: asked || words[1] === 'help' ? 0 : EINVAL };
    }
    const what = GROUPS.has(group) ? words.slice(0, 2).join(' ') : group;
    const see = GROUPS.has(group) ? `rbd-ts ${group} --help` : 'rbd-ts --help';
    throw new CephError(EINVAL, `unknown command '${what}' (see ${see})`, { op: 'parse arguments' });
  }
  const { command, used } = found;
  if (asked) return { help: commandHelp(command), status: 0 };
  checkOptions(p, command.options);
  const positional = words.slice(used);
  if (positional.length > command.positionals) throw usageError('too many arguments');
  checkSingle(
    { all: (n: string) => p.options.get(n) ?? [] } as CommandContext,
    command.options.filter((n) => n !== 'image-feature' && COMMAND_OPTIONS.find((o) => o.name === n)?.value),
  );
  return { command, positional, args: p };
}

/** rbd refuses options the command does not take ("unrecognised option"). */
function checkOptions(p: ParsedArgs, allowed: readonly string[]): void {
  const known = new Set(ALL_OPTIONS.map((o) => o.name));
  for (const name of p.options.keys()) {
    if (known.has(name) && !ALWAYS.has(name) && !allowed.includes(name)) throw usageError(`unrecognised option '--${name}'`);
  }
}
