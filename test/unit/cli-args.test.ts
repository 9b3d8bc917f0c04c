// The rbd-ts command line as one parser reads it for every verb (src/cli/verbs.ts): global
// options before the verb, between its words and after it, for rbd's verbs, glance and nova
// alike; glance's image id is --image-id (--id is the cephx user everywhere); --help for
// every command and group; and the librbd options the CLI takes from rbdOptions.

import test from 'ava';
import { CephError } from '../../src/encoding/errno.js';
import { parseBool, parseInteger, parseSize } from '../../src/config/option-values.js';
import type { Rados } from '../../src/rados/rados.js';
import { connectOptions, opt } from '../../src/cli/args.js';
import { imageOptions, librbdOptions, type CommandContext } from '../../src/cli/commands/common.js';
import { CliError } from '../../src/cli/output.js';
import { parseCommandLine, USAGE, type CommandLine } from '../../src/cli/verbs.js';

type Run = Exclude<CommandLine, { help: string }>;

function run(t: import('ava').ExecutionContext, argv: string[]): Run {
  const r = parseCommandLine(argv);
  if ('help' in r) t.fail(`${argv.join(' ')}: help instead of a command`);
  return r as Run;
}

/** Every way to place `globals` around a command's words and its own arguments. */
function placements(words: string[], rest: string[], globals: string[]): string[][] {
  const out = [
    [...globals, ...words, ...rest], // before the verb
    [...words, ...rest, ...globals], // after everything
    [...words, ...globals, ...rest], // right after the verb
  ];
  // between the verb's words (snap create, glance add, nova boot-many)
  for (let i = 1; i < words.length; i++) out.push([...words.slice(0, i), ...globals, ...words.slice(i), ...rest]);
  // split: some before, some after
  out.push([...globals.slice(0, 2), ...words, ...rest, ...globals.slice(2)]);
  return out;
}

const GLOBALS = ['-c', '/etc/ceph/test.conf', '--id', 'glance', '--keyring=/k/ring', '-m', '10.0.0.1:3300', '--ms_mon_client_mode', 'secure', '--timeout', '5'];
const CONNECT = {
  conf: '/etc/ceph/test.conf',
  id: 'glance',
  keyring: '/k/ring',
  monHost: '10.0.0.1:3300',
  timeoutMs: 5000,
  options: { ms_mon_client_mode: 'secure' },
};

const CASES: Array<{ title: string; words: string[]; rest: string[]; positional: string[]; options: Record<string, string> }> = [
  { title: 'create', words: ['create'], rest: ['--size', '1G', 'p/img'], positional: ['p/img'], options: { size: '1G' } },
  { title: 'snap create', words: ['snap', 'create'], rest: ['p/img@s'], positional: ['p/img@s'], options: {} },
  { title: 'status', words: ['status'], rest: ['--format', 'json'], positional: [], options: { format: 'json' } },
  {
    title: 'glance add',
    words: ['glance', 'add'],
    rest: ['disk.raw', '--pool', 'images', '--image-id', 'f00d'],
    positional: ['disk.raw'],
    options: { pool: 'images', 'image-id': 'f00d' },
  },
  { title: 'glance rm', words: ['glance', 'rm'], rest: ['rbd://fsid/images/f00d/snap'], positional: ['rbd://fsid/images/f00d/snap'], options: {} },
  {
    title: 'nova create-disk',
    words: ['nova', 'create-disk'],
    rest: ['f00d', 'vms/d1', '--size', '20G'],
    positional: ['f00d', 'vms/d1'],
    options: { size: '20G' },
  },
  {
    title: 'nova boot-many',
    words: ['nova', 'boot-many'],
    rest: ['f00d', '--count', '5', '--parallel', '2'],
    positional: ['f00d'],
    options: { count: '5', parallel: '2' },
  },
  { title: 'nova cleanup', words: ['nova', 'cleanup'], rest: ['vms', 'vm-'], positional: ['vms', 'vm-'], options: {} },
  {
    title: 'orphans ls',
    words: ['orphans', 'ls'],
    rest: ['vms/ns1', '--older-than', '0', '--format', 'json'],
    positional: ['vms/ns1'],
    options: { 'older-than': '0', format: 'json' },
  },
  {
    title: 'orphans rm',
    words: ['orphans', 'rm'],
    rest: ['--dry-run', 'vms', '--older-than=120'],
    positional: ['vms'],
    options: { 'older-than': '120', 'dry-run': 'true' },
  },
];

for (const c of CASES) {
  test(`${c.title}: global options before the verb, between its words, after it`, (t) => {
    for (const argv of placements(c.words, c.rest, GLOBALS)) {
      const r = run(t, argv);
      const what = argv.join(' ');
      t.deepEqual(r.command.names[0], c.words, what);
      t.deepEqual(r.positional, c.positional, what);
      t.deepEqual(connectOptions(r.args), CONNECT, what);
      for (const [k, v] of Object.entries(c.options)) t.is(opt(r.args, k), v, `${what}: --${k}`);
    }
  });
}

test("the issue's line: rbd-ts -c ceph.conf glance add disk.raw --pool images", (t) => {
  const before = run(t, ['-c', 'ceph.conf', 'glance', 'add', 'disk.raw', '--pool', 'images']);
  const after = run(t, ['glance', 'add', 'disk.raw', '--pool', 'images', '-c', 'ceph.conf']);
  for (const r of [before, after]) {
    t.deepEqual(r.command.names[0], ['glance', 'add']);
    t.deepEqual(r.positional, ['disk.raw']);
    t.deepEqual(connectOptions(r.args), { conf: 'ceph.conf' });
    t.is(opt(r.args, 'pool'), 'images');
  }
  // --conf=, -cFILE and --conf FILE are the same option
  for (const c of [['--conf=ceph.conf'], ['-cceph.conf'], ['--conf', 'ceph.conf']]) {
    t.deepEqual(connectOptions(run(t, [...c, 'glance', 'add', 'disk.raw']).args), { conf: 'ceph.conf' });
  }
});

test('glance add: --id is the cephx user, the image id is --image-id', (t) => {
  const r = run(t, ['glance', 'add', 'disk.raw', '--id', 'glance', '--image-id', '5c2f0b0e-1111-4222-8333-444455556666']);
  t.is(connectOptions(r.args).id, 'glance');
  t.is(opt(r.args, 'image-id'), '5c2f0b0e-1111-4222-8333-444455556666');
  t.deepEqual(connectOptions(run(t, ['-n', 'client.glance', 'glance', 'add', 'disk.raw']).args), { name: 'client.glance' });
  // --image-id is glance add's: rbd's verbs refuse it as rbd refuses an option they do not take
  for (const argv of [
    ['create', '--size', '1', 'img', '--image-id', 'x'],
    ['glance', 'rm', 'rbd://f/p/i/snap', '--image-id', 'x'],
    ['nova', 'cleanup', 'vms', 'vm-', '--image-id', 'x'],
  ]) {
    const e = t.throws(() => parseCommandLine(argv), { instanceOf: CliError }, argv.join(' '));
    t.is((e as CliError).status, 1);
    t.is(e!.message, "unrecognised option '--image-id'");
  }
  // and a value option given twice is refused for glance as for rbd's verbs
  const twice = t.throws(() => parseCommandLine(['glance', 'add', 'f', '--image-id', 'a', '--image-id', 'b']), { instanceOf: CliError });
  t.is(twice!.message, "option '--image-id' cannot be specified more than once");
});

test('options a glance or nova verb does not take are refused; Ceph options pass', (t) => {
  for (const argv of [
    ['glance', 'add', 'f', '--size', '1'],
    ['glance', 'rm', 'loc', '--count', '2'],
    ['nova', 'cleanup', 'vms', 'vm-', '--pool', 'x'],
    ['ls', '--glance-url', 'http://x'],
  ]) {
    const e = t.throws(() => parseCommandLine(argv), { instanceOf: CliError }, argv.join(' '));
    t.regex(e!.message, /^unrecognised option '--/);
  }
  const r = run(t, ['glance', 'add', 'f', '--rbd_default_features', '1', '--rbd-store-chunk-size', '4']);
  t.deepEqual(connectOptions(r.args).options, { rbd_default_features: '1', rbd_store_chunk_size: '4' });
  t.throws(() => parseCommandLine(['glance', 'add', 'a', 'b']), { instanceOf: CliError, message: 'too many arguments' });
});

test('orphans: ls and rm (and their aliases) take a pool spec, --older-than; only rm takes --dry-run', (t) => {
  for (const [argv, name] of [
    [
      ['orphans', 'ls'],
      ['orphans', 'ls'],
    ],
    [
      ['orphans', 'list', 'rbd'],
      ['orphans', 'ls'],
    ],
    [
      ['orphans', 'remove', '-p', 'rbd'],
      ['orphans', 'rm'],
    ],
    [
      ['orphans', 'rm', '--namespace', 'ns', 'rbd', '--older-than', '0'],
      ['orphans', 'rm'],
    ],
  ] as Array<[string[], string[]]>) {
    t.deepEqual(run(t, argv).command.names[0], name, argv.join(' '));
  }
  for (const argv of [
    ['orphans', 'ls', '--dry-run'],
    ['rm', 'img', '--dry-run'],
    ['ls', '--older-than', '5'],
  ]) {
    const e = t.throws(() => parseCommandLine(argv), { instanceOf: CliError }, argv.join(' '));
    t.regex(e!.message, /^unrecognised option '--(dry-run|older-than)'$/);
  }
  t.throws(() => parseCommandLine(['orphans', 'ls', 'a', 'b']), { instanceOf: CliError, message: 'too many arguments' });
  const twice = t.throws(() => parseCommandLine(['orphans', 'rm', '--older-than', '1', '--older-than', '2']), { instanceOf: CliError });
  t.is(twice!.message, "option '--older-than' cannot be specified more than once");
  const help = parseCommandLine(['orphans', '--help']);
  t.true('help' in help && /rbd-ts orphans ls .*--older-than SECONDS/.test(help.help) && /rbd-ts orphans rm .*--dry-run/.test(help.help));
});

test("unknown commands: EINVAL, naming the group's help", (t) => {
  for (const [argv, message] of [
    [['-c', 'x', 'glance', 'frobnicate'], "unknown command 'glance frobnicate' (see rbd-ts glance --help)"],
    [['nova', 'boot'], "unknown command 'nova boot' (see rbd-ts nova --help)"],
    [['snap', 'purge', 'x'], "unknown command 'snap purge' (see rbd-ts snap --help)"],
    [['frobnicate', '-c', 'x'], "unknown command 'frobnicate' (see rbd-ts --help)"],
  ] as Array<[string[], string]>) {
    const e = t.throws(() => parseCommandLine(argv), { instanceOf: CephError });
    t.is((e as CephError).errno, 22);
    t.true(e!.message.includes(message), e!.message);
  }
});

test('--help: every command and group prints its help and exits 0, options anywhere', (t) => {
  const help = (argv: string[]) => {
    const r = parseCommandLine(argv);
    if (!('help' in r)) throw new Error(`${argv.join(' ')}: no help`);
    return r;
  };
  for (const argv of [
    ['glance', '--help'],
    ['-c', 'x', 'glance', '-h'],
    ['glance', 'help'],
    ['help', 'glance'],
  ]) {
    const r = help(argv);
    t.is(r.status, 0, argv.join(' '));
    t.regex(r.help, /rbd-ts glance add FILE .*--image-id ID/, argv.join(' '));
    t.regex(r.help, /rbd-ts glance rm LOCATION/);
    t.notRegex(r.help, /--id IMAGE/);
  }
  for (const argv of [
    ['nova', '--help'],
    ['nova', 'help'],
    ['--conf', 'x', 'nova', '-h'],
  ]) {
    const r = help(argv);
    t.is(r.status, 0);
    t.regex(r.help, /rbd-ts nova create-disk/);
    t.regex(r.help, /rbd-ts nova boot-many/);
    t.regex(r.help, /rbd-ts nova cleanup/);
  }
  for (const argv of [
    ['glance', 'add', '--help'],
    ['help', 'glance', 'add'],
    ['glance', '-c', 'x', 'add', 'disk.raw', '-h'],
  ]) {
    const r = help(argv);
    t.is(r.status, 0);
    t.regex(r.help, /^usage: rbd-ts glance add FILE/);
    t.regex(r.help, /--image-id <value>/);
    t.regex(r.help, /--glance-url <value>/);
  }
  const create = help(['create', '--help']);
  t.regex(create.help, /^usage: rbd-ts create --size <size> <image-spec>/);
  t.regex(create.help, /--image-feature <value>/);
  t.notRegex(create.help, /--image-id/);
  t.regex(help(['snap', '--help']).help, /rbd-ts snap create <snap-spec>/);
  t.regex(help(['help', 'nova', 'boot-many']).help, /^usage: rbd-ts nova boot-many IMAGE --count N/);
  // the whole usage: with --help or help 0, with nothing EINVAL; a bare group EINVAL too
  t.deepEqual(help(['--help']), { help: USAGE, status: 0 });
  t.deepEqual(help(['help']), { help: USAGE, status: 0 });
  t.deepEqual(help([]), { help: USAGE, status: 22 });
  t.is(help(['glance']).status, 22);
  t.regex(USAGE, /glance add FILE/);
  t.regex(USAGE, /nova boot-many IMAGE/);
  t.regex(USAGE, /--image-id <value> +glance add: the image id/);
});

// ---- librbd options (rbdOptions) --------------------------------------------------------------

/** A Rados whose configuration holds `values`, enough for rbdOptions. */
function radosWith(values: Record<string, string>): Rados {
  const get = (k: string) => values[k];
  const config = {
    get,
    getInteger: (k: string) => (get(k) !== undefined ? parseInteger(get(k)!, k) : undefined),
    getBool: (k: string) => (get(k) !== undefined ? parseBool(get(k)!, k) : undefined),
    getSize: (k: string) => (get(k) !== undefined ? parseSize(get(k)!, k) : undefined),
  };
  return { config } as unknown as Rados;
}

function ctxWith(options: Record<string, string | string[]>): CommandContext {
  const all = (n: string) => {
    const v = options[n];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  return { opt: (n: string) => all(n).at(-1), all, warn: () => undefined } as unknown as CommandContext;
}

test('imageOptions: rbd_default_* from rbdOptions as librbd applies them; the command line wins', (t) => {
  t.deepEqual(imageOptions(ctxWith({}), radosWith({}), false), { order: 22 });
  t.deepEqual(imageOptions(ctxWith({}), radosWith({ rbd_default_order: '0' }), false), { order: 22 }); // librbd: 0 is the default
  t.deepEqual(
    imageOptions(
      ctxWith({}),
      radosWith({
        rbd_default_order: '20',
        rbd_default_features: 'layering, exclusive-lock',
        rbd_default_stripe_unit: '64K',
        rbd_default_stripe_count: '4',
        rbd_default_data_pool: 'ec',
      }),
      false,
    ),
    { order: 20, features: 1 | 4, stripeUnit: 65536, stripeCount: 4, dataPool: 'ec' },
  );
  t.deepEqual(imageOptions(ctxWith({}), radosWith({ rbd_default_features: '3' }), false), { order: 22, features: 3 });
  // a clone takes order, features and striping from its parent; the data pool still defaults
  t.deepEqual(imageOptions(ctxWith({}), radosWith({ rbd_default_order: '20', rbd_default_features: '1', rbd_default_data_pool: 'ec' }), true), {
    dataPool: 'ec',
  });
  t.deepEqual(
    imageOptions(
      ctxWith({ 'object-size': '1M', 'image-feature': ['layering'], 'stripe-unit': '64K', 'data-pool': 'd' }),
      radosWith({ rbd_default_order: '25', rbd_default_features: '61', rbd_default_stripe_count: '8', rbd_default_data_pool: 'ec' }),
      false,
    ),
    { order: 20, features: 1, stripeUnit: 65536, stripeCount: 0, dataPool: 'd' },
  );
});

test('librbdOptions: the default pool and clone format; what rbdOptions refuses is EINVAL', (t) => {
  t.is(librbdOptions(radosWith({})).defaultPool, 'rbd');
  t.is(librbdOptions(radosWith({ rbd_default_pool: 'vms' })).defaultPool, 'vms');
  t.is(librbdOptions(radosWith({})).defaultCloneFormat, 'auto');
  t.is(librbdOptions(radosWith({ rbd_default_clone_format: '1' })).defaultCloneFormat, 1);
  t.is(librbdOptions(radosWith({ rbd_default_clone_format: '2' })).defaultCloneFormat, 2);
  const bad = t.throws(() => librbdOptions(radosWith({ rbd_default_clone_format: '3' })), { instanceOf: CliError });
  t.is((bad as CliError).status, 22);
  t.is(bad!.message, "invalid rbd_default_clone_format '3' (1, 2 or auto)");
  const clone = t.throws(() => imageOptions(ctxWith({}), radosWith({ rbd_default_clone_format: 'x' }), true), { instanceOf: CliError });
  t.is((clone as CliError).status, 22);
  const features = t.throws(() => imageOptions(ctxWith({}), radosWith({ rbd_default_features: 'layering,bogus' }), false), { instanceOf: CliError });
  t.is((features as CliError).status, 22);
  t.is(features!.message, "invalid rbd_default_features 'layering,bogus' (feature names or a number)");
});
