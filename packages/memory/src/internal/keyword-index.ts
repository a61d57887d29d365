import type { Selection } from './scope-index.js';
import { tokenize } from './tokenize.js';
import { TopKHeap } from './top-k.js';

/** BM25's customary parameters. */
const K1 = 1.2;
const B = 0.75;

interface Doc {
  readonly terms: Map<string, number>;
  readonly length: number;
}

/** An inverted index (term → id → term frequency) scored with BM25 (k1 1.2, b 0.75). */
export class KeywordIndex {
  readonly #postings = new Map<string, Map<string, number>>();
  readonly #docs = new Map<string, Doc>();
  #totalLength = 0;

  add(id: string, content: string): void {
    const terms = new Map<string, number>();
    const tokens = tokenize(content);
    for (const token of tokens) terms.set(token, (terms.get(token) ?? 0) + 1);
    this.#docs.set(id, { terms, length: tokens.length });
    this.#totalLength += tokens.length;
    for (const [term, tf] of terms) {
      let postings = this.#postings.get(term);
      if (postings === undefined) {
        postings = new Map();
        this.#postings.set(term, postings);
      }
      postings.set(id, tf);
    }
  }

  remove(id: string): void {
    const doc = this.#docs.get(id);
    if (doc === undefined) return;
    this.#docs.delete(id);
    this.#totalLength -= doc.length;
    for (const term of doc.terms.keys()) {
      const postings = this.#postings.get(term);
      postings?.delete(id);
      if (postings?.size === 0) this.#postings.delete(term);
    }
  }

  clear(): void {
    this.#postings.clear();
    this.#docs.clear();
    this.#totalLength = 0;
  }

  /**
   * Ids by BM25 score, best first, at most `depth`, among `selection` (all documents when
   * undefined). Corpus statistics (document count, frequencies, average length) are the whole
   * index's, so a score does not depend on the filter.
   */
  top(terms: readonly string[], depth: number, selection: Selection | undefined): string[] {
    const n = this.#docs.size;
    if (n === 0) return [];
    const avgLength = this.#totalLength / n;
    const live: { postings: Map<string, number>; term: string; idf: number }[] = [];
    let postingCost = 0;
    for (const term of terms) {
      const postings = this.#postings.get(term);
      if (postings === undefined) continue;
      const df = postings.size;
      live.push({ postings, term, idf: Math.log(1 + (n - df + 0.5) / (df + 0.5)) });
      postingCost += df;
    }
    if (live.length === 0) return [];
    const bm25 = (tf: number, length: number, idf: number): number =>
      (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * length) / avgLength));

    const scores = new Map<string, number>();
    // Walk whichever is cheaper: the terms' postings (probing each id against the selection) or
    // the selection (looking each one's terms up). A narrow scope never pays for a common term's
    // whole posting list.
    if (selection === undefined || postingCost <= selection.bound * live.length) {
      for (const { postings, idf } of live) {
        for (const [id, tf] of postings) {
          if (selection !== undefined && !selection.has(id)) continue;
          scores.set(id, (scores.get(id) ?? 0) + bm25(tf, this.#docs.get(id)!.length, idf));
        }
      }
    } else {
      for (const id of selection.ids()) {
        const doc = this.#docs.get(id)!;
        let score = 0;
        for (const { term, idf } of live) {
          const tf = doc.terms.get(term);
          if (tf !== undefined) score += bm25(tf, doc.length, idf);
        }
        if (score > 0) scores.set(id, score);
      }
    }
    const ids = [...scores.keys()];
    const heap = new TopKHeap(Math.min(depth, ids.length));
    for (let i = 0; i < ids.length; i++) heap.push(scores.get(ids[i]!)!, i);
    return Array.from(heap.result().indices, (i) => ids[i]!);
  }
}
