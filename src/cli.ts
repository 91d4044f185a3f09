#!/usr/bin/env node
/**
 * `medqa`: the command-line face of the extension's core (same code, no VS Code).
 * Results go to stdout, progress and errors to stderr.
 */
import { version } from '../package.json';
import { dataCommands } from './dataset/cli';

type Subcommand = (args: string[]) => Promise<number>;

const groups: Record<string, Record<string, Subcommand>> = {
  data: dataCommands,
};

function usage(): string {
  const lines = ['Usage: medqa <group> <command> [options]', ''];
  for (const [group, commands] of Object.entries(groups)) {
    for (const name of Object.keys(commands)) lines.push(`  medqa ${group} ${name}`);
  }
  lines.push('  medqa --version');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === '--version' || group === '-v') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const handler = group && command ? groups[group]?.[command] : undefined;
  if (!handler) {
    process.stderr.write(`${usage()}\n`);
    return group === '--help' || group === '-h' ? 0 : 2;
  }
  return handler(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`medqa: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
