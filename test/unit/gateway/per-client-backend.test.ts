// The per-client backend refuses anonymous callers before any session or token exchange is attempted, with an error
// that says why and names the backend (the gateway refused the call; the backend never saw it).
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildOutgoingAuth, type OutgoingAuthResult } from '../../../src/actors/mcp/auth/outgoing-auth.ts';
import type { Backend } from '../../../src/gateway/backend.ts';
import type { BackendSetup } from '../../../src/gateway/backend-setup.ts';
import { RequestError } from '../../../src/gateway/forward-errors.ts';
import { PerClientBackend } from '../../../src/gateway/per-client-backend.ts';
import { FakeBackend } from './fake-backend.ts';

const setup: BackendSetup = {
  info: { name: 'te', url: 'http://127.0.0.1:9/mcp', type: 'direct', authMethod: 'tokenExchange' },
  transport: 'streamable-http',
  caPem: undefined,
  outgoing: built(
    buildOutgoingAuth({
      headers: [],
      auth: {
        type: 'tokenExchange',
        exchange: { tokenUrl: 'http://127.0.0.1:9/token', audience: 'aud' },
        maxSessions: 2,
        idleMs: 60_000,
      },
    }),
  ),
};

function built(result: OutgoingAuthResult) {
  if (!result.ok) throw new Error(result.problem);
  return result.setup;
}

describe('per-client backend', () => {
  it('refuses anonymous and token-less callers without opening a session', async () => {
    const created: BackendSetup[] = [];
    const backend = new PerClientBackend(setup, pino({ level: 'silent' }), (s) => {
      created.push(s);
      return {} as Backend;
    });
    for (const identity of [undefined, { subject: 'anonymous' }, { subject: 'alice' }]) {
      const call = backend.request('tools/call', { name: 'x' }, identity ? { identity } : {});
      await expect(call).rejects.toBeInstanceOf(RequestError);
      await expect(call).rejects.toMatchObject({ code: ErrorCode.InvalidRequest });
      await expect(call).rejects.toThrow(/^backend "te": .*tokenExchange.*anonymous call cannot use this backend/);
    }
    expect(created).toEqual([]);
    // Ready with nothing to list until a client comes, so it never holds the gateway's readiness hostage.
    expect(backend.state).toBe('ready');
    expect(backend.lists.tools).toEqual([]);
    await backend.close();
  });

  it("a client's session whose start rejects fails that client's calls, not the process", async () => {
    const backend = new PerClientBackend(setup, pino({ level: 'silent' }), (s) => {
      const session = new FakeBackend(s.info.name);
      session.start = async () => {
        throw new Error('backend URL refused');
      };
      return session;
    });
    // open() starts the session without waiting: an unhandled rejection here would fail the run.
    backend.open({ subject: 'alice', token: 't' });
    const call = backend.request('tools/list', {}, { identity: { subject: 'alice', token: 't' } });
    await expect(call).rejects.toThrow('backend URL refused');
    await backend.close();
  });
});
