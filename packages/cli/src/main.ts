/**
 * The `tensorscope` command. Each subcommand is one file in commands/ exporting
 * `run(argv): Promise<number>` (the exit code) and `usage` (one line).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors';

interface Command {
  usage: string;
  run(argv: string[]): Promise<number>;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<Command> {
  return (await import(join(commandsDir, `${name}.ts`))) as Command;
}

async function help(): Promise<string> {
  const lines = ['usage: tensorscope <command> [options]', ''];
  for (const name of commandNames()) lines.push(`  ${(await load(name)).usage}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(await help());
      return name ? 0 : 2;
    }
    if (!commandNames().includes(name))
      throw new UsageError(`unknown command "${name}"; run tensorscope --help.`);
    return await (await load(name)).run(rest);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof Error && err.name === 'ModelError')) {
      process.stderr.write(`tensorscope: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
