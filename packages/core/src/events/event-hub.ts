import { invalidArgument } from '../errors.js';
import type { EventSink, TeamEvent, TeamEventOf, TeamEventType } from './team-events.js';

/**
 * Default capacity of one {@link EventStream}'s buffer.
 *
 * @example
 * ```ts
 * const stream = team.events({ bufferSize: DEFAULT_EVENT_BUFFER * 10 });
 * ```
 */
export const DEFAULT_EVENT_BUFFER = 10_000;

/**
 * A listener for one event type, or for every type (`'*'`).
 *
 * @example
 * ```ts
 * const onFail: EventListener<'agent.failed'> = (e) => console.warn(e.agent, e.error.code);
 * team.on('agent.failed', onFail);
 * ```
 */
export type EventListener<T extends TeamEventType | '*'> = (
  event: T extends TeamEventType ? TeamEventOf<T> : TeamEvent,
) => void;

/**
 * Options of `team.events()`.
 *
 * @example
 * ```ts
 * const options: EventStreamOptions = { bufferSize: 1_000, types: ['claim.granted', 'claim.conflicted'] };
 * ```
 */
export interface EventStreamOptions {
  /** Buffered events before the oldest are dropped. Default 10,000. */
  readonly bufferSize?: number;
  /** Only these types (default: all). */
  readonly types?: readonly TeamEventType[];
}

/**
 * An async iterable of team events for one consumer.
 *
 * @example
 * ```ts
 * for await (const event of team.events({ types: ['run.finished'] })) console.log(event.agent, event.status);
 * ```
 * Woken by the events themselves. A slow
 * consumer's buffer is bounded: when full, the oldest event is dropped and the next read yields
 * an `events.dropped` event with the count first. It ends when the team closes or on `close()`.
 */
export interface EventStream extends AsyncIterableIterator<TeamEvent> {
  /** Stops this stream; a pending read resolves as done. */
  close(): void;
}

class Stream implements EventStream {
  #hub: EventHub;
  #types: ReadonlySet<TeamEventType> | undefined;
  #ring: (TeamEvent | undefined)[];
  #head = 0;
  #size = 0;
  #dropped = 0;
  #closed = false;
  #waiter: ((result: IteratorResult<TeamEvent>) => void) | undefined;

  constructor(hub: EventHub, capacity: number, types: readonly TeamEventType[] | undefined) {
    this.#hub = hub;
    this.#ring = new Array(capacity);
    this.#types = types === undefined ? undefined : new Set(types);
  }

  /** The types this stream takes (undefined: all). */
  get types(): ReadonlySet<TeamEventType> | undefined {
    return this.#types;
  }

  push(event: TeamEvent): void {
    if (this.#types !== undefined && !this.#types.has(event.type)) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter({ value: event, done: false });
      return;
    }
    const ring = this.#ring;
    if (this.#size === ring.length) {
      // Drop-oldest: overwrite the head slot and move the head on.
      ring[this.#head] = event;
      this.#head = (this.#head + 1) % ring.length;
      this.#dropped++;
      return;
    }
    ring[(this.#head + this.#size) % ring.length] = event;
    this.#size++;
  }

  next(): Promise<IteratorResult<TeamEvent>> {
    if (this.#dropped > 0) {
      const count = this.#dropped;
      this.#dropped = 0;
      return Promise.resolve({
        value: { type: 'events.dropped', at: this.#hub.now(), count },
        done: false,
      });
    }
    if (this.#size > 0) {
      const value = this.#ring[this.#head]!;
      this.#ring[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#ring.length;
      this.#size--;
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<TeamEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.detach(this);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  /** Ends after the buffered events are read (team close). */
  end(): void {
    this.#closed = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): EventStream {
    return this;
  }
}

/**
 * What happens to an error a listener throws: by default it is rethrown out of band (an uncaught
 * exception of its own, like xstate's reportUnhandledError), never into the agent that emitted.
 *
 * @example
 * ```ts
 * createTeam({ ...services, onListenerError: (error, event) => logger.error({ error, event: event.type }) });
 * ```
 */
export type ListenerErrorHandler = (error: unknown, event: TeamEvent) => void;

const rethrowLater: ListenerErrorHandler = (error) => {
  queueMicrotask(() => {
    throw error;
  });
};

/**
 * Fans events out to listeners and streams. `active` is true only while someone listens, so
 * emitters skip building events otherwise; `wants(type)` says whether anyone takes one type;
 * `watch` and `watchTypes` tell remote emitters (pool workers) what to build and send.
 */
export class EventHub implements EventSink {
  active = false;
  #byType = new Map<string, Set<(event: TeamEvent) => void>>();
  // Subscribers per type: '*' listeners and unfiltered streams count under '*'.
  #wanted = new Map<string, number>();
  // `#wanted.has('*')`, kept as a field: emitters ask `wants` several times per agent step.
  #wantsAll = false;
  #streams = new Set<Stream>();
  #count = 0;
  #closed = false;
  #now: () => number;
  readonly #typeWatchers: ((types: readonly string[]) => void)[] = [];

  readonly #onListenerError: ListenerErrorHandler;

  constructor(now: () => number, onListenerError: ListenerErrorHandler = rethrowLater) {
    this.#now = now;
    this.#onListenerError = onListenerError;
  }

  // A listener that throws must not unwind the agent that emitted the event (a healthy run
  // would fail): its error goes out of band.
  #call(fn: (event: TeamEvent) => void, event: TeamEvent): void {
    try {
      fn(event);
    } catch (error) {
      this.#onListenerError(error, event);
    }
  }

  /**
   * Calls `fn` with {@link wantedTypes} whenever a type starts or stops being wanted (pool hosts
   * build and send only those). Not called for a second subscriber of an already wanted type.
   */
  watchTypes(fn: (types: readonly string[]) => void): void {
    this.#typeWatchers.push(fn);
  }

  /** The types some listener or stream takes; `'*'` among them means every type. */
  wantedTypes(): readonly string[] {
    return [...this.#wanted.keys()];
  }

  now(): number {
    return this.#now();
  }

  /** True when some listener or stream takes events of `type`. */
  wants(type: TeamEventType): boolean {
    return this.active && (this.#wantsAll || this.#wanted.has(type));
  }

  #want(types: Iterable<string>, delta: number): void {
    let changed = false;
    for (const type of types) {
      const before = this.#wanted.get(type) ?? 0;
      const count = before + delta;
      if (count > 0) this.#wanted.set(type, count);
      else this.#wanted.delete(type);
      if (before > 0 !== count > 0) changed = true;
    }
    this.#wantsAll = this.#wanted.has('*');
    if (changed) this.#typesChanged();
  }

  #typesChanged(): void {
    if (this.#typeWatchers.length === 0) return;
    const types = this.wantedTypes();
    for (const fn of this.#typeWatchers) fn(types);
  }

  emit(event: TeamEvent): void {
    if (!this.active) return;
    const exact = this.#byType.get(event.type);
    if (exact !== undefined) for (const fn of exact) this.#call(fn, event);
    const any = this.#byType.get('*');
    if (any !== undefined) for (const fn of any) this.#call(fn, event);
    for (const stream of this.#streams) stream.push(event);
  }

  on<T extends TeamEventType | '*'>(type: T, listener: EventListener<T>): () => void {
    if (typeof listener !== 'function') throw invalidArgument('listener must be a function');
    const fn = listener as (event: TeamEvent) => void;
    if (this.#closed) return () => {}; // nothing will ever be emitted
    let set = this.#byType.get(type);
    if (set === undefined) {
      set = new Set();
      this.#byType.set(type, set);
    }
    if (set.has(fn)) return () => {};
    set.add(fn);
    this.#want([type], 1);
    this.#change(1);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      set.delete(fn);
      this.#want([type], -1);
      this.#change(-1);
    };
  }

  /**
   * One listener for several types: {@link wants} is true for exactly these types (unlike a
   * `'*'` listener, which makes every type wanted, streaming deltas included).
   */
  onTypes(types: readonly TeamEventType[], listener: (event: TeamEvent) => void): () => void {
    if (typeof listener !== 'function') throw invalidArgument('listener must be a function');
    if (this.#closed) return () => {};
    const unique = [...new Set(types)];
    for (const type of unique) {
      let set = this.#byType.get(type);
      if (set === undefined) {
        set = new Set();
        this.#byType.set(type, set);
      }
      set.add(listener);
    }
    this.#want(unique, 1);
    this.#change(1);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      for (const type of unique) this.#byType.get(type)?.delete(listener);
      this.#want(unique, -1);
      this.#change(-1);
    };
  }

  stream(options: EventStreamOptions = {}): EventStream {
    const size = options.bufferSize ?? DEFAULT_EVENT_BUFFER;
    if (!(Number.isInteger(size) && size > 0))
      throw invalidArgument('bufferSize must be a positive integer', { bufferSize: size });
    const stream = new Stream(this, size, options.types);
    if (this.#closed) {
      stream.end(); // a stream asked of a closed team is over at once
      return stream;
    }
    this.#streams.add(stream);
    this.#want(stream.types ?? ['*'], 1);
    this.#change(1);
    return stream;
  }

  detach(stream: Stream): void {
    if (!this.#streams.delete(stream)) return;
    this.#want(stream.types ?? ['*'], -1);
    this.#change(-1);
  }

  /** Ends every stream (they drain what they buffered) and drops every listener. */
  close(): void {
    this.#closed = true;
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
    this.#byType.clear();
    const hadTypes = this.#wanted.size > 0;
    this.#wanted.clear();
    this.#wantsAll = false;
    this.#count = 0;
    this.#setActive(false);
    if (hadTypes) this.#typesChanged();
  }

  #change(delta: number): void {
    this.#count += delta;
    this.#setActive(this.#count > 0);
  }

  #setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
  }
}
