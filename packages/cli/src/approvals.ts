import { createInterface } from 'node:readline/promises';
import type { Team, TeamEventOf } from '@troupe/core';
import { UsageError } from './args.js';

/**
 * How `troupe run` decides tool calls that need approval: `'ask'` on the terminal, `'all'`
 * approved, `'none'` rejected.
 */
export type ApproveMode = 'ask' | 'all' | 'none';

/** The reason a call gets when nobody could be asked (stdin is no terminal, no `--approve`). */
export const NO_TERMINAL_REASON = 'not approved (no terminal)';

/** `--approve all|none` when given; otherwise ask on a terminal, reject without one. */
export function approveMode(flag: string | undefined, tty: boolean): ApproveMode {
  if (flag === undefined) return tty ? 'ask' : 'none';
  if (flag === 'all' || flag === 'none') return flag;
  throw new UsageError(`--approve must be all or none, got "${flag}"`);
}

type Requested = TeamEventOf<'tool.approval_requested'>;

/**
 * Decides every `tool.approval_requested` of `team` by `mode`, one call at a time (questions on
 * the terminal never interleave). Returns a function that stops listening and closes the prompt.
 */
export function decideApprovals(
  team: Pick<Team, 'on' | 'approve' | 'reject'>,
  mode: ApproveMode,
  flagged: boolean,
  io: { readonly input: NodeJS.ReadableStream; readonly err: NodeJS.WritableStream },
): () => void {
  const prompt =
    mode === 'ask'
      ? createInterface({ input: io.input, output: io.err, terminal: false })
      : undefined;
  let queue: Promise<void> = Promise.resolve();
  const decide = async (e: Requested): Promise<void> => {
    let approved = mode === 'all';
    let reason = flagged ? 'not approved (--approve none)' : NO_TERMINAL_REASON;
    if (prompt !== undefined) {
      const answer = await prompt.question(
        `approve ${e.agent} calling ${e.tool} ${JSON.stringify(e.arguments)} (run ${e.runId}, call ${e.callId})? [y/N] `,
      );
      approved = /^y(es)?$/i.test(answer.trim());
      reason = 'not approved by the operator';
    }
    if (approved) await team.approve(e.runId, e.callId);
    else await team.reject(e.runId, e.callId, reason);
  };
  const unsubscribe = team.on('tool.approval_requested', (e) => {
    queue = queue
      .then(() => decide(e))
      .catch((error: unknown) => {
        // The run ended meanwhile (cancelled, timed out): nothing waits for this call any more.
        io.err.write(
          `troupe run: could not decide ${e.callId}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      });
  });
  return () => {
    unsubscribe();
    prompt?.close();
  };
}
