import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quickstart } from '../examples/quickstart.js';

describe('README example', () => {
  it('is examples/quickstart.ts, verbatim', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/quickstart.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.trim());
  });

  it('recalls the infra team memories, evergreen procedure first', async () => {
    expect(await quickstart()).toEqual([
      '0.970 Deploys happen on Tuesdays after the standup',
      '0.725 Friday deploys were frozen for the holidays',
    ]);
  });
});
