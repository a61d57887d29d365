// Which event types pool hosts build and send: only those the coordinator's listeners take.
// Workers load core's dist: build core first (`npx tsc -p packages/core/tsconfig.build.json`).

import type { TeamEventOf } from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { eventMessagesReceived } from '../src/placement/pool/host-channel.js';
import { drive, makeTeam, PUPPET, script } from './fixtures/harness.js';

/** One tool call, then an answer streamed in two text deltas. */
const echoThenStream = () =>
  script(
    { toolCalls: [{ name: 'echo', arguments: { text: 'x' } }] },
    {
      text: 'done',
      deltas: [
        { type: 'text', text: 'do' },
        { type: 'text', text: 'ne' },
      ],
    },
  );

/** Event messages per type that crossed a host's port, as a plain object. */
const crossed = () => Object.fromEntries(eventMessagesReceived);

describe('pool placement events', () => {
  it('sends across the port only the event types someone listens to', async () => {
    const { team, clock } = makeTeam('pool');
    try {
      const returned: string[] = [];
      team.on('tool.returned', (e) => returned.push(e.tool));
      await team.spawn(PUPPET, { name: 'p' });
      eventMessagesReceived.clear();
      const result = await drive(team, clock, team.send('p', echoThenStream()));
      expect(result.text).toBe('done');
      expect(returned).toEqual(['echo']);
      expect(crossed()).toEqual({ 'tool.returned': 1 });
    } finally {
      await team.close();
    }
  });

  it('starts sending deltas when a model.delta listener comes, and stops when it goes', async () => {
    const { team, clock } = makeTeam('pool');
    try {
      await team.spawn(PUPPET, { name: 'p' });
      team.on('tool.returned', () => {});
      eventMessagesReceived.clear();
      await drive(team, clock, team.send('p', echoThenStream()));
      expect(crossed()).toEqual({ 'tool.returned': 1 });

      const deltas: TeamEventOf<'model.delta'>['delta'][] = [];
      const off = team.on('model.delta', (e) => deltas.push(e.delta));
      eventMessagesReceived.clear();
      await drive(team, clock, team.send('p', echoThenStream()));
      expect(deltas.map((d) => (d.type === 'text' ? d.text : ''))).toEqual(['do', 'ne']);
      expect(crossed()).toEqual({ 'tool.returned': 1, 'model.delta': 2 });

      off();
      eventMessagesReceived.clear();
      await drive(team, clock, team.send('p', echoThenStream()));
      expect(crossed()).toEqual({ 'tool.returned': 1 });
    } finally {
      await team.close();
    }
  });
});
