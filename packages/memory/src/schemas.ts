import { z } from 'zod';
import { MEMORY_TYPES } from './types.js';

// Boundary schemas: every public call parses its input once, here, before anything changes.

const typeSchema = z.enum(MEMORY_TYPES as [string, ...string[]]);
const scopeValue = z.string().min(1);

export const scopeSchema = z.strictObject({
  team: scopeValue.optional(),
  agent: scopeValue.optional(),
  session: scopeValue.optional(),
  user: scopeValue.optional(),
});

const embeddingSchema = z.instanceof(Float32Array).refine((v) => v.length > 0, 'must not be empty');

export const inputSchema = z.strictObject({
  id: z.string().min(1).max(200).optional(),
  content: z.string().min(1),
  type: typeSchema.optional(),
  importance: z.number().min(0).max(1).optional(),
  tags: z.array(z.string().min(1)).optional(),
  embedding: embeddingSchema.optional(),
  scope: scopeSchema.optional(),
  evergreen: z.boolean().optional(),
});

export const patchSchema = z.strictObject({
  content: z.string().min(1).optional(),
  type: typeSchema.optional(),
  importance: z.number().min(0).max(1).optional(),
  tags: z.array(z.string().min(1)).optional(),
  embedding: embeddingSchema.nullable().optional(),
  scope: scopeSchema.optional(),
  evergreen: z.boolean().optional(),
});

export const filterSchema = z.strictObject({
  scope: scopeSchema.optional(),
  types: z.array(typeSchema).optional(),
  limit: z.number().int().min(0).optional(),
});

const weightsSchema = z.strictObject({
  relevance: z.number().min(0).max(1e6).optional(),
  importance: z.number().min(0).max(1e6).optional(),
  recency: z.number().min(0).max(1e6).optional(),
});

export const querySchema = z.strictObject({
  text: z.string().optional(),
  embedding: embeddingSchema.optional(),
  scope: scopeSchema.optional(),
  types: z.array(typeSchema).optional(),
  limit: z.number().int().min(0).optional(),
  minScore: z.number().min(0).max(1).optional(),
  weights: weightsSchema.optional(),
  halfLifeMs: z.number().positive().optional(),
  minSimilarity: z.number().min(-1).max(1).optional(),
  peek: z.boolean().optional(),
});

export const storeOptionsSchema = z.object({
  clock: z.custom<{ now(): number }>(
    (v) =>
      typeof v === 'object' && v !== null && typeof (v as { now?: unknown }).now === 'function',
    'must be a Clock',
  ),
  embedder: z
    .custom<object>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as { embed?: unknown }).embed === 'function' &&
        Number.isInteger((v as { dimensions?: unknown }).dimensions),
      'must be an Embedder',
    )
    .optional(),
  dimensions: z.number().int().positive().max(65_536).optional(),
  weights: weightsSchema.optional(),
  halfLifeMs: z.number().positive().optional(),
  rrfK: z.number().min(0).optional(),
  candidateDepth: z.number().int().positive().optional(),
  idSeed: z.union([z.number(), z.string()]).optional(),
  pool: z
    .custom<object>((v) => typeof v === 'object' && v !== null, 'must be a VectorPool')
    .optional(),
  poolMinCandidates: z.number().int().min(1).optional(),
  minSimilarity: z.number().min(-1).max(1).optional(),
});
