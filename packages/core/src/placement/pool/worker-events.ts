import type { EventSink, TeamEvent, TeamEventType } from '../../events/team-events.js';
import type { Outbox } from './protocol.js';

/**
 * The worker team's event sink: it mirrors which types the coordinator's listeners take, so emitters
 * build (and the port carries) only those; model deltas stay off unless someone listens to them.
 */
export class WorkerEvents implements EventSink {
  active = false;
  #all = false;
  #types: ReadonlySet<string> = new Set();
  readonly #outbox: Pick<Outbox, 'push'>;
  constructor(outbox: Pick<Outbox, 'push'>, types: readonly string[]) {
    this.#outbox = outbox;
    this.setTypes(types);
  }
  setTypes(types: readonly string[]): void {
    this.#types = new Set(types);
    this.#all = this.#types.has('*');
    this.active = this.#types.size > 0;
  }
  wants(type: TeamEventType): boolean {
    return this.active && (this.#all || this.#types.has(type));
  }
  emit(event: TeamEvent): void {
    // Checked again here: an emitter that asked only `active` still sends no unwanted type.
    if (this.wants(event.type)) this.#outbox.push({ t: 'event', event });
  }
}
