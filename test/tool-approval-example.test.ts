// examples/tool-approval.mjs runs as it is shipped (plain Node on the built packages: build
// first) and prints what docs/agents.md says it does.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, requireBuild } from './fixtures/cli-common/cli.js';

beforeAll(() => requireBuild());

describe('the tool approval example', () => {
  it('pauses on the calls that need a person, runs the approved ones, reports the rejection', () => {
    const printed = execFileSync(process.execPath, [join(repoRoot, 'examples/tool-approval.mjs')], {
      encoding: 'utf8',
    });
    expect(printed).toBe(
      [
        'janitor wants delete_branch(feature/login) [run janitor:1, call call-2]',
        'janitor wants delete_branch(main) [run janitor:1, call call-3]',
        'completed:',
        '- deleted tmp/spike',
        '- deleted feature/login',
        '- Tool call rejected: main is protected',
        '',
      ].join('\n'),
    );
  }, 60_000);
});
