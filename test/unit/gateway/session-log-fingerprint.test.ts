// A client's Mcp-Session-Id lets its holder act in the session: log lines written for a session carry its
// fingerprint (the one the spans use), never the id.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../../src/actors/mcp/log.ts';
import { createSecretRedactor, REDACTED } from '../../../src/actors/mcp/redactor.ts';
import { type AuditRecord, auditLogger } from '../../../src/gateway/audit.ts';
import { defaultLogger } from '../../../src/gateway/gateway.ts';
import { RedisEventLog } from '../../../src/gateway/sessions/redis-event-log.ts';
import { createLogger } from '../../../src/runtime/logging.ts';
import type { RedisClient } from '../../../src/runtime/redis-connection.ts';

const SESSION = 'c0ffee00-1111-4222-8333-444455556666';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return {
    lines,
    stream,
    logger: createLogger({ level: 'debug', timestamp: false }, stream, { component: 'gateway' }),
  };
}

describe('session ids in log lines', () => {
  it('an audit line carries the fingerprint of the session, not the id', () => {
    const { lines, logger } = capture();
    auditLogger(logger)({
      client: 'alice',
      session: SESSION,
      method: 'tools/call',
      target: 'echo',
      backend: 'a',
      remoteUrl: 'http://127.0.0.1:1/mcp',
      authMethod: 'unauthenticated',
      outcome: 'ok',
      remoteStatus: 200,
      durationMs: 1,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SESSION);
    expect(JSON.parse(lines[0] as string).audit.session).toBe(fingerprint(SESSION));
  });

  it("an audit line on the gateway's logger carries its record whole, and no secret value a backend was sent", () => {
    const { lines, stream } = capture();
    const secret = `s-${randomUUID()}`;
    createSecretRedactor().add(secret);
    const record: AuditRecord = {
      client: 'alice',
      session: undefined,
      method: 'tools/call',
      target: 'echo',
      backend: 'a',
      remoteUrl: 'http://127.0.0.1:1/mcp',
      authMethod: 'headerInjection',
      outcome: 'error',
      remoteStatus: 500,
      durationMs: 1.5,
      error: `the backend echoed ${secret}`,
      serverRequests: [{ method: 'roots/list', via: 'call', outcome: 'refused', reason: 'no roots' }],
    };
    auditLogger(defaultLogger('info', stream))(record);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(secret);
    const { audit } = JSON.parse(lines[0] as string);
    expect(audit).toEqual({ ...record, session: undefined, error: `the backend echoed ${REDACTED}` });
  });

  it('the Redis event log names the session by fingerprint when dropping its events fails', async () => {
    const { lines, logger } = capture();
    const client = { del: () => Promise.reject(new Error('connection closed')) } as unknown as RedisClient;
    const log = new RedisEventLog({
      client: () => client,
      logger,
      describe: (err) => String(err),
      unavailable: (err) => err as Error,
      prefix: 'mcpre:',
      limits: { maxSessionBytes: 4096, ttlMs: 60_000 },
      now: () => 0,
    });
    await log.dropSession(SESSION);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SESSION);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      session: fingerprint(SESSION),
      msg: 'session store: dropping events failed; they expire by TTL',
    });
  });
});
