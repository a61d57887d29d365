import { isSecretKey, redactSecrets } from '@troupe/core';
import { describe, expect, it } from 'vitest';

describe('redactSecrets', () => {
  it('removes every listed secret key, in any case and spelling', () => {
    const input = {
      api_key: 1,
      apiKey: 2,
      OPENAI_API_KEY: 3,
      'x-api-key': 4,
      githubToken: 6,
      secret: 7,
      client_secret: 8,
      password: 9,
      DB_PASSWORD: 10,
      Authorization: 11,
      credential: 12,
      credentials: 13,
      access_token: 14,
      refresh_token: 15,
      id_token: 16,
      bearerToken: 17,
      privateKey: 18,
      kept: 'yes',
    };
    expect(redactSecrets(input)).toEqual({ kept: 'yes' });
  });

  it('removes secrets at any depth, inside objects and arrays', () => {
    const input = {
      services: [
        { name: 'github', auth: { access_token: 'x', user: 'ann' } },
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
    const input = { nested: { apiKey: 't', keep: true }, list: [{ secret: 's' }] };
    const copy = structuredClone(input);
    redactSecrets(input);
    expect(input).toEqual(copy);
  });

  it('returns the very same objects when there is nothing to remove', () => {
    const clean = { a: { b: [1, { c: 2 }] }, d: 'x' };
    expect(redactSecrets(clean)).toBe(clean);
    const partly = { dirty: { password: 't' }, clean: { big: [1, 2, 3] } };
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
    const input = JSON.parse('{"__proto__": {"x": 1}, "secret": "t"}') as Record<string, unknown>;
    const out = redactSecrets(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
  });
});

describe('redaction by exact names and patterns, never by substring (issue 12, item 12)', () => {
  it('keeps a claim.granted fencing token and every token count', () => {
    const granted = { type: 'claim.granted', agent: 'ada', resource: 'a.ts', token: 17 };
    expect(redactSecrets(granted)).toBe(granted);
    const usage = {
      inputTokens: 10,
      outputTokens: 5,
      cacheReadTokens: 2,
      cacheWriteTokens: 1,
      maxTokens: 4096,
      tokens: 800,
      fencingToken: 3,
      nextToken: 'page-2',
    };
    expect(redactSecrets(usage)).toBe(usage);
  });

  it('replaces known credential shapes inside any string, whatever the key', () => {
    const leaked = {
      note: 'the server said: invalid key sk-proj-abcdefghijklmnop1234 for this org',
      headers: ['Bearer eyJhbGciOiJIUzI1NiJ9.payload', 'Accept: json'],
      gh: 'ghp_abcdefghijklmnopqrstuvwxyz0123',
      ant: 'sk-ant-api03-abcdefghijklmnopqrstu',
    };
    expect(redactSecrets(leaked)).toEqual({
      note: 'the server said: invalid key [redacted] for this org',
      headers: ['[redacted]', 'Accept: json'],
      gh: '[redacted]',
      ant: '[redacted]',
    });
  });

  it('keeps strings that only look a little like secrets', () => {
    const clean = { task: 'ask the desk-clerk', word: 'skeleton', bearer: 'Bearer' };
    expect(redactSecrets(clean)).toBe(clean);
  });
});

describe('isSecretKey', () => {
  it('matches secret names and not ordinary ones', () => {
    expect(isSecretKey('refreshToken', 'r')).toBe(true);
    expect(isSecretKey('privateKey', 'k')).toBe(true);
    expect(isSecretKey('topic', 'x')).toBe(false);
    expect(isSecretKey('maxTokens', 100)).toBe(false);
    expect(isSecretKey('token', 42)).toBe(false);
    expect(isSecretKey('OPENAI_API_KEY', 'k')).toBe(true);
    expect(isSecretKey('accessTokens', ['t'])).toBe(true);
    expect(isSecretKey('passwordHint', 'x')).toBe(false);
  });
});
