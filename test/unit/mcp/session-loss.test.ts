// Which answers to a request that carried Mcp-Session-Id mean the session is gone. The messages are the ones real
// servers send: the SDK's transport, its example servers and @modelcontextprotocol/server-everything.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AnswerLike } from '../../../src/actors/mcp/http/body.ts';
import { readSessionAnswer, saysSessionUnknown } from '../../../src/actors/mcp/http/session-loss.ts';
import { createSecretRedactor } from '../../../src/actors/mcp/redactor.ts';

function answer(statusCode: number, body: string): AnswerLike {
  return { statusCode, headers: {}, body: Readable.from([Buffer.from(body)]) };
}

const rpcError = (code: number, message: string) => JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: 1 });

async function bodyText(res: AnswerLike): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res.body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

describe('saysSessionUnknown', () => {
  it.each([
    'Bad Request: No valid session ID provided',
    'Bad Request: No valid session ID',
    'Session not found',
    'Bad Request: Server not initialized',
    'Bad Request: Mcp-Session-Id header is required',
    'Invalid or expired session',
    'unknown session id abc',
  ])('a lost session: %s', (message) => {
    expect(saysSessionUnknown(message)).toBe(true);
  });

  it.each([
    'Bad Request: Session exists but uses a different transport protocol',
    'Bad Request: Unsupported protocol version: 1999-01-01 (supported versions: 2025-11-25)',
    'injected 400',
    'Invalid params: session_token must be a string',
    'Parse error',
  ])('not a lost session: %s', (message) => {
    expect(saysSessionUnknown(message)).toBe(false);
  });

  it('does not search messages longer than any session error', () => {
    expect(saysSessionUnknown(`No valid session ID provided ${'x'.repeat(600)}`)).toBe(false);
  });
});

describe('readSessionAnswer', () => {
  const redactor = createSecretRedactor();

  it("a 400 with server-everything's JSON-RPC error is a lost session, with the error as detail", async () => {
    const res = answer(400, rpcError(-32000, 'Bad Request: No valid session ID provided'));
    const got = await readSessionAnswer(res, redactor);
    expect(got.lost).toBe(true);
    expect(got.detail).toBe('JSON-RPC error -32000: Bad Request: No valid session ID provided');
  });

  it('a 404 is a lost session whatever its body', async () => {
    expect((await readSessionAnswer(answer(404, 'not json'), redactor)).lost).toBe(true);
  });

  it("a 400 about something else is the request's own failure, and its body can still be read", async () => {
    const body = rpcError(-32000, 'Bad Request: Unsupported protocol version: 1999-01-01');
    const got = await readSessionAnswer(answer(400, body), redactor);
    expect(got.lost).toBe(false);
    expect(got.detail).toBe('JSON-RPC error -32000: Bad Request: Unsupported protocol version: 1999-01-01');
    expect(await bodyText(got.res)).toBe(body);
  });

  it('a 400 whose body only mentions a session without being a JSON-RPC error is not a lost session', async () => {
    expect((await readSessionAnswer(answer(400, 'No valid session ID provided'), redactor)).lost).toBe(false);
    const notRpc = JSON.stringify({ error: { message: 'No valid session ID provided' } });
    expect((await readSessionAnswer(answer(400, notRpc), redactor)).lost).toBe(false);
  });
});
