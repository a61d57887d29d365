/**
 * Turns texts into vectors of a fixed length. Implementations: {@link createOpenAIEmbedder}
 * (any OpenAI-compatible `/embeddings` endpoint) and {@link createHashEmbedder} (local,
 * deterministic, for tests and simulation).
 *
 * @example
 * ```ts
 * const embedder: Embedder = createHashEmbedder({ dimensions: 256 });
 * const [vector] = await embedder.embed(['hello world']);
 * console.log(vector.length === embedder.dimensions); // true
 * ```
 */
export interface Embedder {
  /** Length of every vector `embed` returns. */
  readonly dimensions: number;
  /** One vector per text, in the same order. */
  embed(
    texts: readonly string[],
    options?: { readonly signal?: AbortSignal },
  ): Promise<Float32Array[]>;
}
