#!/usr/bin/env node
import { UsageError } from './args.js';
import { benchCommand, benchUsage } from './bench-command.js';
import { evalCommand, evalUsage } from './eval-command.js';
import { mcpCommand, mcpUsage } from './mcp-command.js';
import { reportCommand, reportUsage } from './report-command.js';
import { runCommand, runUsage } from './run-command.js';
import { exitCodeFor, simCommand, simUsage } from './sim-command.js';

const usage = `troupe — teams of LLM agents

Commands:
${[simUsage, runUsage, evalUsage, mcpUsage, reportUsage, benchUsage].map((u) => `  ${u.replace(/\n/g, '\n  ')}`).join('\n\n')}

Exit codes: 0 success, 1 the run failed, 2 bad usage or bad input (nothing is written).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'sim':
      return simCommand(rest, process.stdout);
    case 'run':
      return runCommand(rest, { out: process.stdout, err: process.stderr, env: process.env });
    case 'eval':
      return evalCommand(rest, { out: process.stdout, err: process.stderr, env: process.env });
    case 'mcp':
      return mcpCommand(rest, { err: process.stderr, env: process.env });
    case 'report':
      return reportCommand(rest, process.stdout);
    case 'bench':
      return benchCommand(rest, process.stderr);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${usage}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`troupe: ${error.message}\n\n${usage}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`troupe: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = exitCodeFor(error);
  },
);
