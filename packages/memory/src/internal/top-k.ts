/**
 * The k best (score, index) pairs: higher score first, ties to the lower index, so every way
 * of splitting a scan (one thread or many) picks the same set in the same order.
 *
 * @example
 * ```ts
 * const top: TopK = await pool.topK(request);
 * const best = request.slots[top.indices[0]]; // its cosine is top.scores[0]
 * ```
 */
export interface TopK {
  readonly indices: Int32Array;
  readonly scores: Float64Array;
}

/** True when (sa, ia) ranks below (sb, ib). */
const worse = (sa: number, ia: number, sb: number, ib: number): boolean =>
  sa < sb || (sa === sb && ia > ib);

/** A bounded min-heap keyed on rank: its root is the worst pair kept so far. */
export class TopKHeap {
  readonly #k: number;
  readonly #scores: Float64Array;
  readonly #indices: Int32Array;
  #size = 0;

  constructor(k: number) {
    this.#k = k;
    this.#scores = new Float64Array(k);
    this.#indices = new Int32Array(k);
  }

  push(score: number, index: number): void {
    const s = this.#scores;
    const ix = this.#indices;
    if (this.#size < this.#k) {
      let i = this.#size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(score, index, s[p]!, ix[p]!)) break;
        s[i] = s[p]!;
        ix[i] = ix[p]!;
        i = p;
      }
      s[i] = score;
      ix[i] = index;
      return;
    }
    if (this.#k === 0 || worse(score, index, s[0]!, ix[0]!)) return;
    // Replace the root and sift down.
    let i = 0;
    const n = this.#size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && worse(s[r]!, ix[r]!, s[l]!, ix[l]!) ? r : l;
      if (!worse(s[c]!, ix[c]!, score, index)) break;
      s[i] = s[c]!;
      ix[i] = ix[c]!;
      i = c;
    }
    s[i] = score;
    ix[i] = index;
  }

  /** The kept pairs, best first. */
  result(): TopK {
    const order = Array.from({ length: this.#size }, (_, i) => i);
    const s = this.#scores;
    const ix = this.#indices;
    order.sort((a, b) => (worse(s[a]!, ix[a]!, s[b]!, ix[b]!) ? 1 : -1));
    return {
      indices: Int32Array.from(order, (i) => ix[i]!),
      scores: Float64Array.from(order, (i) => s[i]!),
    };
  }
}

/** Merges partial results (each best first) into the k best. */
export function mergeTopK(parts: readonly TopK[], k: number): TopK {
  const heap = new TopKHeap(k);
  for (const part of parts) {
    for (let i = 0; i < part.indices.length; i++) heap.push(part.scores[i]!, part.indices[i]!);
  }
  return heap.result();
}
