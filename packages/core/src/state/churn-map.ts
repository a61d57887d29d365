/**
 * A `Map` that stays fast when the same key is deleted and set again and again.
 *
 * Why: V8's `Map` leaves a deleted entry in its hash bucket's chain until the next rehash, so
 * deleting and re-adding one key in a large map lengthens that one chain by one each time.
 * Measured on Node 20 with 10,000 other keys: set + delete of the same key costs 33 µs, against
 * 0.1 µs with rotating keys. That is exactly an agent claiming and releasing one file that many
 * agents hold, so here a delete leaves the key with an `undefined` value (a set overwrites it in
 * place) and the map is rebuilt without those tombstones once they outnumber live keys:
 * every operation stays O(1) amortized.
 */
export class ChurnMap<K, V> {
  #map = new Map<K, V | undefined>();
  #live = 0;

  /** Live entries (tombstones not counted). */
  get size(): number {
    return this.#live;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** `value` must not be `undefined` (that marks a deleted key). */
  set(key: K, value: V): void {
    const map = this.#map;
    if (map.get(key) === undefined) this.#live++;
    map.set(key, value);
  }

  /** {@link set} for a key the caller knows is not live: one hash lookup instead of two. */
  setNew(key: K, value: V): void {
    this.#live++;
    this.#map.set(key, value);
  }

  /** {@link delete} for a key the caller knows is live: one hash lookup instead of two. */
  deleteLive(key: K): void {
    const map = this.#map;
    map.set(key, undefined);
    this.#live--;
    const dead = map.size - this.#live;
    if (dead > 64 && dead > this.#live) this.#compact();
  }

  delete(key: K): boolean {
    const map = this.#map;
    if (map.get(key) === undefined) return false;
    map.set(key, undefined);
    this.#live--;
    // Rebuild once tombstones outnumber live keys (and are worth the trouble): amortized O(1).
    const dead = map.size - this.#live;
    if (dead > 64 && dead > this.#live) this.#compact();
    return true;
  }

  clear(): void {
    this.#map = new Map();
    this.#live = 0;
  }

  *values(): IterableIterator<V> {
    for (const value of this.#map.values()) if (value !== undefined) yield value;
  }

  #compact(): void {
    const next = new Map<K, V | undefined>();
    for (const [key, value] of this.#map) if (value !== undefined) next.set(key, value);
    this.#map = next;
  }
}
