import type { RunResult } from '../../agent/run-result.js';
import type { IdGenerator } from '../../ids.js';
import { Replies } from '../replies.js';

// Reply ids of a distributed team carry the host that awaits the answer: `<id>@<host>`. Ids
// from createIds are nanoid characters, so the first `@` separates the two.

/** The reply topic of a host: answers to the messages it sent arrive there. */
export function replyTopic(host: string): string {
  return `reply:${host}`;
}

/** The host that awaits the answer to reply id `id` (undefined: an id without one). */
export function replyHost(id: string): string | undefined {
  const at = id.indexOf('@');
  return at < 0 ? undefined : id.slice(at + 1);
}

/** Ids from `ids` with `@<host>` appended: answers find their way back to this host. */
export function hostIds(ids: IdGenerator, host: string): IdGenerator {
  return { next: (prefix, size) => `${ids.next(prefix, size)}@${host}` };
}

/** What a host posts to another's reply topic: the answer to the messages `ids`. */
export interface ReplyBody {
  readonly ids: readonly string[];
  readonly result: RunResult;
}

/** True for a {@link ReplyBody} read from a reply topic. */
export function isReplyBody(body: unknown): body is ReplyBody {
  if (typeof body !== 'object' || body === null) return false;
  const { ids, result } = body as Record<string, unknown>;
  return (
    Array.isArray(ids) &&
    ids.every((id) => typeof id === 'string') &&
    typeof result === 'object' &&
    result !== null
  );
}

/**
 * The team's {@link Replies} when its agents answer messages sent from other hosts: an answer
 * to a message whose id names another host is handed to `relay` (which posts it to that host's
 * reply topic), and a handoff of such a message waits here for the answer to the message it
 * passed on, then relays that. Ids of this host (or of none) are settled here, as in one process.
 */
export class RoutedReplies extends Replies {
  readonly #host: string;
  readonly #relay: (host: string, body: ReplyBody) => void;

  constructor(host: string, relay: (host: string, body: ReplyBody) => void) {
    super();
    this.#host = host;
    this.#relay = relay;
  }

  override settle(ids: Iterable<string>, result: RunResult): void {
    const { local, remote } = this.#split(ids);
    super.settle(local, result);
    for (const [host, list] of remote) this.#relay(host, { ids: list, result });
  }

  override forward(ids: Iterable<string>, to: string): ReturnType<Replies['forward']> {
    const { local, remote } = this.#split(ids);
    if (remote.size > 0) {
      // `to` is a reply id of this host: its answer settles here, and goes on to the askers.
      void this.expect(to).then((result) => {
        for (const [host, list] of remote) this.#relay(host, { ids: list, result });
      });
    }
    return super.forward(local, to);
  }

  #split(ids: Iterable<string>): { local: string[]; remote: Map<string, string[]> } {
    const local: string[] = [];
    const remote = new Map<string, string[]>();
    for (const id of ids) {
      const host = replyHost(id);
      if (host === undefined || host === this.#host) {
        local.push(id);
        continue;
      }
      const list = remote.get(host);
      if (list === undefined) remote.set(host, [id]);
      else list.push(id);
    }
    return { local, remote };
  }
}
