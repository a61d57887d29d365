import { describe, expect, it } from 'vitest';
import {
  compositeScore,
  DEFAULT_RRF_K,
  DEFAULT_WEIGHTS,
  decay,
  fuseRanks,
  rrfTerm,
} from '../src/index.js';

describe('reciprocal rank fusion', () => {
  it('one list contributes 1 / (k + rank) with k = 60 by default', () => {
    expect(DEFAULT_RRF_K).toBe(60);
    expect(rrfTerm(1)).toBe(1 / 61);
    expect(rrfTerm(3, 10)).toBe(1 / 13);
  });

  it('fusion sums the terms of every list an id is on', () => {
    const fused = fuseRanks([
      ['a', 'b', 'c'],
      ['c', 'a'],
    ]);
    expect(fused.get('a')).toBeCloseTo(1 / 61 + 1 / 62, 15);
    expect(fused.get('b')).toBeCloseTo(1 / 62, 15);
    expect(fused.get('c')).toBeCloseTo(1 / 63 + 1 / 61, 15);
  });

  it('a smaller k favours the top ranks more', () => {
    const fused = fuseRanks([['a', 'b']], 0);
    expect(fused.get('a')).toBe(1);
    expect(fused.get('b')).toBe(0.5);
  });
});

describe('temporal decay', () => {
  it('halves every half-life', () => {
    expect(decay(0, 1_000)).toBe(1);
    expect(decay(1_000, 1_000)).toBe(0.5);
    expect(decay(3_000, 1_000)).toBe(0.125);
    expect(decay(500, 1_000)).toBeCloseTo(Math.SQRT1_2, 15);
  });

  it('exempts evergreen entries', () => {
    expect(decay(10_000, 1_000, true)).toBe(1);
  });

  it('treats a negative age (clock moved back) as fresh', () => {
    expect(decay(-5, 1_000)).toBe(1);
  });
});

describe('composite score', () => {
  it('is the weighted mean of relevance, importance and recency', () => {
    expect(
      compositeScore(
        { relevance: 1, importance: 0.5, recency: 0.25 },
        { relevance: 0.6, importance: 0.2, recency: 0.2 },
      ),
    ).toBeCloseTo(0.75, 15);
  });

  it('normalizes weights that do not sum to 1', () => {
    expect(
      compositeScore(
        { relevance: 0.5, importance: 1, recency: 0 },
        { relevance: 2, importance: 1, recency: 1 },
      ),
    ).toBeCloseTo((2 * 0.5 + 1) / 4, 15);
  });

  it('defaults to relevance 0.6, importance 0.2, recency 0.2', () => {
    expect(DEFAULT_WEIGHTS).toEqual({ relevance: 0.6, importance: 0.2, recency: 0.2 });
  });
});
