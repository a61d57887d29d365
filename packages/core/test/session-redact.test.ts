import { isSecretKey, redactSecrets } from '@troupe/core';
import { describe, expect, it } from 'vitest';

describe('redactSecrets', () => {
  it('removes every listed secret key, in any case and spelling', () => {
    const input = {
      api_key: 1,
      apiKey: 2,
      OPENAI_API_KEY: 3,
      'x-api-key': 4,
      token: 5,
      githubToken: 6,
      secret: 7,
      client_secret: 8,
      password: 9,
      DB_PASSWORD: 10,
      Authorization: 11,
      credential: 12,
      credentials: 13,
      kept: 'yes',
    };
    expect(redactSecrets(input)).toEqual({ kept: 'yes' });
  });

  it('removes secrets at any depth, inside objects and arrays', () => {
    const input = {
      services: [
        { name: 'github', auth: { token: 'ghp_x', user: 'ann' } },
        { name: 'db', password: 'pw' },
      ],
      deep: { a: { b: { c: { apiKey: 'sk', keep: 1 } } } },
    };
    expect(redactSecrets(input)).toEqual({
      services: [{ name: 'github', auth: { user: 'ann' } }, { name: 'db' }],
      deep: { a: { b: { c: { keep: 1 } } } },
    });
  });

  it('does not mutate its input', () => {
    const input = { nested: { token: 't', keep: true }, list: [{ secret: 's' }] };
    const copy = structuredClone(input);
    redactSecrets(input);
    expect(input).toEqual(copy);
  });

  it('returns the very same objects when there is nothing to remove', () => {
    const clean = { a: { b: [1, { c: 2 }] }, d: 'x' };
    expect(redactSecrets(clean)).toBe(clean);
    const partly = { dirty: { token: 't' }, clean: { big: [1, 2, 3] } };
    expect(redactSecrets(partly).clean).toBe(partly.clean);
  });

  it('keeps token counts such as maxTokens and inputTokens', () => {
    expect(redactSecrets({ maxTokens: 4096, inputTokens: 10, accessTokens: ['t1'] })).toEqual({
      maxTokens: 4096,
      inputTokens: 10,
    });
  });

  it('passes primitives, null and dates through', () => {
    const at = new Date(0);
    expect(redactSecrets(42)).toBe(42);
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets({ at }).at).toBe(at);
  });

  it('keeps an own __proto__ key as data', () => {
    const input = JSON.parse('{"__proto__": {"x": 1}, "token": "t"}') as Record<string, unknown>;
    const out = redactSecrets(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
  });
});

describe('isSecretKey', () => {
  it('matches secret names and not ordinary ones', () => {
    expect(isSecretKey('refreshToken', 'r')).toBe(true);
    expect(isSecretKey('privateKey', 'k')).toBe(true);
    expect(isSecretKey('topic', 'x')).toBe(false);
    expect(isSecretKey('maxTokens', 100)).toBe(false);
  });
});
