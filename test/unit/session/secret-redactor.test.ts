// The redactor that keeps a backend's credentials out of the text built from what the backend says: which forms of a
// value it finds, what it leaves alone (short values, unrelated text), its bound, and JSON log lines.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { knownSecrets, REDACTED, SecretRedactor } from '../../../src/actors/mcp/redactor.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const b64url = (s: string) => Buffer.from(s).toString('base64url');

describe('SecretRedactor', () => {
  it('replaces a registered value wherever it occurs, glued to other text or not', () => {
    const r = new SecretRedactor({ parent: null });
    const token = `tok-${randomUUID()}`;
    r.add(token);
    expect(r.redact(`invalid key=${token}, try again (${token})`)).toBe(
      `invalid key=${REDACTED}, try again (${REDACTED})`,
    );
    expect(r.redact('nothing secret here')).toBe('nothing secret here');
  });

  it('knows the credentials of a header value, and the password inside Basic', () => {
    const r = new SecretRedactor({ parent: null });
    const bearer = `b-${randomUUID()}`;
    const password = `p@ss:${randomUUID()}`;
    const basic = b64(`alice:${password}`);
    r.addHeaders({ authorization: `Bearer ${bearer}`, 'x-other': `Basic ${basic}` });
    const echoed = [
      `got "Bearer ${bearer}"`,
      `got ${bearer}`,
      `got ${basic}`,
      `user alice:${password} refused`,
      `password ${password} refused`,
    ];
    for (const text of echoed) {
      const out = r.redact(text);
      expect(out, text).toContain(REDACTED);
      expect(out).not.toContain(bearer);
      expect(out).not.toContain(password);
      expect(out).not.toContain(basic);
    }
  });

  it('finds the encodings a server may echo: base64, base64url, percent- and JSON-escaped', () => {
    const r = new SecretRedactor({ parent: null });
    // Characters that each encoding changes: + / = for base64 and percent-encoding, " and \ for JSON.
    const value = `k+/="\\${randomBytes(12).toString('hex')}`;
    r.add(value);
    const forms = [
      b64(value).replace(/=+$/, ''),
      b64url(value),
      encodeURIComponent(value),
      JSON.stringify(value).slice(1, -1),
    ];
    for (const form of forms) {
      expect(form).not.toBe(value);
      expect(r.redact(`echo: ${form}.`), form).toBe(`echo: ${REDACTED}.`);
    }
  });

  it('replaces an echoed prefix of 12 characters or more, but not a shorter one', () => {
    const r = new SecretRedactor({ parent: null });
    const key = `sk-${randomBytes(20).toString('hex')}`;
    r.add(key);
    expect(r.redact(`key ${key.slice(0, 16)}... is revoked`)).toBe(`key ${REDACTED}... is revoked`);
    expect(r.redact(`key ${key.slice(0, 12)}…`)).toBe(`key ${REDACTED}…`);
    // 11 characters of a 43-character key say nothing: left alone rather than risk mangling text.
    expect(r.redact(`key ${key.slice(0, 11)}…`)).toBe(`key ${key.slice(0, 11)}…`);
  });

  it('matches values of 6 or 7 characters only as whole words and ignores shorter ones', () => {
    const r = new SecretRedactor({ parent: null });
    r.add('abc123');
    r.add('true');
    r.add('v1');
    expect(r.redact('key abc123 refused; key=abc123.')).toBe(`key ${REDACTED} refused; key=${REDACTED}.`);
    expect(r.redact('xabc123 abc1234 abc123x')).toBe('xabc123 abc1234 abc123x');
    expect(r.redact('true v1 is not a secret')).toBe('true v1 is not a secret');
    expect(r.size).toBe(1);
  });

  it('forgets the oldest value beyond its bound, and a value used again is kept', () => {
    const r = new SecretRedactor({ parent: null, maxValues: 2 });
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    r.add(a);
    r.add(b);
    r.add(a);
    r.add(c);
    expect(r.size).toBe(2);
    expect(r.redact(`${a} ${b} ${c}`)).toBe(`${REDACTED} ${b} ${REDACTED}`);
  });

  it('redacts strings and keys in JSON-like values without touching anything else', () => {
    const r = new SecretRedactor({ parent: null });
    const token = randomUUID();
    r.add(token);
    const data = { received: { [token]: [`Bearer ${token}`, 3, true, null] }, ok: 'fine' };
    expect(r.redactDeep(data)).toEqual({
      received: { [REDACTED]: [`Bearer ${REDACTED}`, 3, true, null] },
      ok: 'fine',
    });
    expect(data.received[token]?.[0]).toBe(`Bearer ${token}`);
  });

  it('keeps a JSON log line valid when the value is one JSON escapes, and leaves clean lines as they are', () => {
    const r = new SecretRedactor({ parent: null });
    const value = `q"uo\\te-${randomUUID()}`;
    r.add(value);
    const line = `${JSON.stringify({ level: 40, reason: `refused ${value}`, msg: 'backend session not available' })}\n`;
    const out = r.redactJsonLine(line);
    expect(out.endsWith('\n')).toBe(true);
    expect(JSON.parse(out)).toEqual({ level: 40, reason: `refused ${REDACTED}`, msg: 'backend session not available' });
    const clean = `${JSON.stringify({ level: 30, msg: 'ok' })}\n`;
    expect(r.redactJsonLine(clean)).toBe(clean);
  });

  it('registers every value with the process-wide set the log pipeline uses', () => {
    const r = new SecretRedactor();
    const token = `t-${randomUUID()}`;
    r.add(token);
    expect(knownSecrets.redact(`x ${token} x`)).toBe(`x ${REDACTED} x`);
  });

  it('checks a typical log line against a thousand known values in microseconds', () => {
    const r = new SecretRedactor({ parent: null, maxValues: 1000 });
    for (let i = 0; i < 1000; i++) r.addHeaderValue(`Bearer ${randomBytes(24).toString('base64url')}`);
    const line = `${JSON.stringify({
      level: 30,
      time: 1_767_000_000_000,
      component: 'audit',
      subject: 'user@example.com',
      backend: 'search',
      method: 'tools/call',
      name: 'search_query',
      outcome: 'ok',
      durationMs: 12,
      msg: 'mcp request',
    })}\n`;
    const rounds = 2000;
    const start = performance.now();
    for (let i = 0; i < rounds; i++) r.redactJsonLine(line);
    const perLineUs = ((performance.now() - start) * 1000) / rounds;
    console.log(`redactJsonLine: ${perLineUs.toFixed(1)} µs per ${line.length}-character line, 1000 values`);
    // Generous bound for a shared CI machine; measured well below it.
    expect(perLineUs).toBeLessThan(200);
  });
});
