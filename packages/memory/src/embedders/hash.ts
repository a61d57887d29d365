import { z } from 'zod';
import { tokenize } from '../internal/tokenize.js';
import { parseOptions } from '../internal/validate.js';
import type { Embedder } from './embedder.js';

/**
 * Options of {@link createHashEmbedder}.
 *
 * @example
 * ```ts
 * const options: HashEmbedderOptions = { dimensions: 384, ngram: 3 };
 * ```
 */
export interface HashEmbedderOptions {
  /** Vector length; default 256. */
  readonly dimensions?: number;
  /** Character n-gram length; default 3. */
  readonly ngram?: number;
}

const optionsSchema = z.strictObject({
  dimensions: z.number().int().min(1).max(65_536).optional(),
  ngram: z.number().int().min(1).max(16).optional(),
});

/** FNV-1a, 32 bits, then a murmur finalizer so low bits (the bucket) mix well. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A deterministic local embedder (feature hashing): each word and each character n-gram of
 * each padded word is hashed to a bucket with a sign, and the vector is normalized to length 1.
 * Texts sharing words or word fragments get a positive cosine; the same text always gets the
 * same vector on every machine. For tests and simulation, not for semantic quality. Text with no
 * letters or digits embeds to all zeros.
 *
 * @example
 * ```ts
 * const embedder = createHashEmbedder({ dimensions: 256 });
 * const [a, b] = await embedder.embed(['deploy the service', 'deploying services']);
 * cosine(a, b); // > 0: shared n-grams
 * ```
 */
export function createHashEmbedder(options: HashEmbedderOptions = {}): Embedder {
  const parsed = parseOptions(optionsSchema, options, 'createHashEmbedder options');
  const dimensions = parsed.dimensions ?? 256;
  const n = parsed.ngram ?? 3;

  const embedOne = (text: string): Float32Array => {
    const out = new Float32Array(dimensions);
    const add = (feature: string, weight: number): void => {
      const h = hash(feature);
      out[h % dimensions]! += h & 0x80000000 ? -weight : weight;
    };
    for (const word of tokenize(text)) {
      add(`w:${word}`, 1);
      const padded = ` ${word} `;
      for (let i = 0; i + n <= padded.length; i++) add(padded.slice(i, i + n), 0.5);
    }
    let sum = 0;
    for (let i = 0; i < dimensions; i++) sum += out[i]! * out[i]!;
    if (sum > 0) {
      const scale = 1 / Math.sqrt(sum);
      for (let i = 0; i < dimensions; i++) out[i]! *= scale;
    }
    return out;
  };

  return {
    dimensions,
    async embed(texts) {
      return texts.map(embedOne);
    },
  };
}
