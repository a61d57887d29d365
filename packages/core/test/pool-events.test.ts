// Which event types pool hosts build and send: only those the coordinator's listeners take.
// Workers load core's dist: build core first (`npx turbo run build --filter=@troupe/core`).

import type { TeamEvent, TeamEventOf } from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { WorkerEvents } from '../src/placement/pool/worker-events.js';
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

describe('pool placement events', () => {
  it('delivers the events listened to, deltas only while a model.delta listener is on', async () => {
    const { team, clock } = makeTeam('pool');
    try {
      const returned: string[] = [];
      team.on('tool.returned', (e) => returned.push(e.tool));
      await team.spawn(PUPPET, { name: 'p' });
      expect((await drive(team, clock, team.send('p', echoThenStream()))).text).toBe('done');
      expect(returned).toEqual(['echo']);

      const deltas: TeamEventOf<'model.delta'>['delta'][] = [];
      const off = team.on('model.delta', (e) => deltas.push(e.delta));
      await drive(team, clock, team.send('p', echoThenStream()));
      expect(deltas.map((d) => (d.type === 'text' ? d.text : ''))).toEqual(['do', 'ne']);
      off();
      await drive(team, clock, team.send('p', echoThenStream()));
      expect(returned).toEqual(['echo', 'echo', 'echo']);
    } finally {
      await team.close();
    }
  });
});

describe("a host's event sink", () => {
  /** The sink over a port that records what it would carry. */
  function sink(types: readonly string[]) {
    const sent: string[] = [];
    const events = new WorkerEvents(
      { push: (msg) => void (msg.t === 'event' && sent.push(msg.event.type)) },
      types,
    );
    return { events, sent };
  }
  const event = (type: TeamEvent['type']) => ({ type }) as TeamEvent;

  it('carries only the event types the coordinator listens to', () => {
    const { events, sent } = sink(['tool.returned']);
    expect([events.wants('tool.returned'), events.wants('model.delta')]).toEqual([true, false]);
    events.emit(event('model.delta'));
    events.emit(event('tool.returned'));
    expect(sent).toEqual(['tool.returned']);
  });

  it('follows the listened types as they change, and carries nothing when none is', () => {
    const { events, sent } = sink([]);
    expect(events.active).toBe(false);
    events.emit(event('tool.returned'));
    events.setTypes(['tool.returned', 'model.delta']);
    events.emit(event('model.delta'));
    events.setTypes(['*']);
    events.emit(event('agent.started'));
    events.setTypes(['tool.returned']);
    events.emit(event('model.delta'));
    expect(sent).toEqual(['model.delta', 'agent.started']);
  });
});
