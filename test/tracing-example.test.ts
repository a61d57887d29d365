// The tracing example (examples/tracing.ts) and the docs page that shows it: it runs, one trace
// follows the task from the lead to the coder, and the page shows the file as it is.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { tracing } from '../examples/tracing.js';
import { children, isChildOf, only } from './fixtures/tracing/spans.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Keeps its spans past the provider's shutdown (the example shuts its provider down). */
class KeptSpans extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe('tracing example', () => {
  it('runs: one trace from the lead through its ask to the coder and its claim', async () => {
    const exporter = new KeptSpans();
    expect(await tracing(exporter)).toBe('Plan: refactor a.ts (3 days).');
    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const lead = only(spans, 'invoke_agent lead');
    expect(lead.parentSpanContext).toBeUndefined();
    expect(
      isChildOf(only(spans, 'invoke_agent coder'), only(spans, 'execute_tool ask_agent')),
    ).toBe(true);
    expect(children(spans, only(spans, 'execute_tool claim_region'))).toEqual(['troupe.claim']);
    expect(lead.attributes['troupe.team.id']).toBe('sprint');
  });

  it('docs/tracing.md shows the example exactly as it is run', async () => {
    const page = await readFile(
      new URL('../packages/core/docs/tracing.md', import.meta.url),
      'utf8',
    );
    const example = await readFile(new URL('../examples/tracing.ts', import.meta.url), 'utf8');
    const block = page.match(/```ts\n(\/\/ Tracing: [\s\S]*?)```/)?.[1];
    expect(block, 'tracing.md has a ```ts block starting with "// Tracing: "').toBeDefined();
    expect(block).toBe(example);
  });

  it('compiled by tsc, it prints the spans to the console in plain Node', () => {
    execFileSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'examples/tsconfig.json'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
    const printed = execFileSync(process.execPath, ['examples/dist/tracing.js'], {
      cwd: root,
      encoding: 'utf8',
    });
    for (const name of [
      'invoke_agent lead',
      'execute_tool ask_agent',
      'invoke_agent coder',
      'chat claude-sonnet-4',
    ])
      expect(printed).toContain(`name: '${name}'`);
    expect(printed.trimEnd().endsWith('Plan: refactor a.ts (3 days).')).toBe(true);
  }, 120_000);
});
