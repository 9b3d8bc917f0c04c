#!/usr/bin/env node
// rbd-ts: the `rbd` command's verbs, spec syntax and output, over rbd-ts.

import { connectOptions, flag, opt } from './args.js';
import { parseFormat, runCommand } from './output.js';
import type { CommandContext } from './commands/common.js';
import { parseCommandLine } from './verbs.js';

export async function main(argv: string[]): Promise<number> {
  return runCommand(async (connect) => {
    // one path for every verb, glance and nova included: options anywhere (verbs.ts)
    const line = parseCommandLine(argv);
    if ('help' in line) {
      process.stdout.write(line.help);
      return line.status;
    }
    const { command, positional, args: p } = line;
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

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
