// The hand-written JSON-RPC checks against the SDK's zod schemas they stand in for: on every combination of valid and
// invalid envelope members, jsonRpcKind accepts exactly what JSONRPCMessageSchema accepts and names the same kind as
// the SDK's guards, and the key-only guards agree with those guards on every accepted message.
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  isErrorResponse,
  isNotification,
  isRequest,
  isResponse,
  jsonRpcKind,
} from '../../../src/actors/mcp/jsonrpc.ts';
import { parseBatch, parseMessage } from '../../../src/actors/mcp/transports/messages.ts';

const ABSENT = Symbol('absent');
const TASK = 'io.modelcontextprotocol/related-task';
const variants: Record<string, unknown[]> = {
  id: [ABSENT, 1, -7, 'a', 1.5, null, 2 ** 60, true],
  method: [ABSENT, 'tools/call', 5, null],
  params: [
    ABSENT,
    {},
    { x: 1 },
    [],
    null,
    'p',
    { _meta: { progressToken: 1 } },
    { _meta: { progressToken: 'p', other: 1 } },
    { _meta: { progressToken: 1.5 } },
    { _meta: 5 },
    { _meta: { [TASK]: { taskId: 't' } } },
    { _meta: { [TASK]: { taskId: 1 } } },
    { _meta: { [TASK]: 'x' } },
  ],
  result: [ABSENT, {}, [], 5, { _meta: { progressToken: 'x' } }, { _meta: 'x' }],
  error: [
    ABSENT,
    { code: 1, message: 'm' },
    { code: -32603, message: 'm', data: { x: 1 }, extra: true },
    { code: 1.5, message: 'm' },
    { code: 1 },
    { message: 'm' },
    { code: 1, message: 5 },
    null,
  ],
};
/** Every accepted message is tried again with each of these, all of which make it invalid. */
const spoilers: Record<string, unknown>[] = [{ jsonrpc: '1.0' }, { jsonrpc: 2 }, { jsonrpc: undefined }, { extra: 1 }];

function* messages(): Generator<Record<string, unknown>> {
  const keys = Object.keys(variants);
  const at = keys.map(() => 0);
  for (;;) {
    const message: Record<string, unknown> = { jsonrpc: '2.0' };
    keys.forEach((key, i) => {
      const value = variants[key]![at[i]!];
      if (value !== ABSENT) message[key] = value;
    });
    yield message;
    let i = 0;
    while (i < keys.length && ++at[i]! === variants[keys[i]!]!.length) at[i++] = 0;
    if (i === keys.length) return;
  }
}

const sdkKind = (m: unknown) =>
  isJSONRPCRequest(m)
    ? 'request'
    : isJSONRPCNotification(m)
      ? 'notification'
      : isJSONRPCResultResponse(m)
        ? 'result'
        : isJSONRPCErrorResponse(m)
          ? 'error'
          : undefined;

describe('jsonRpcKind', () => {
  it('accepts exactly what the SDK schema accepts, as the same kind, on every combination of members', () => {
    let accepted = 0;
    let total = 0;
    const disagreements: string[] = [];
    const all = [...messages()];
    for (const valid of all.filter((m) => JSONRPCMessageSchema.safeParse(m).success)) {
      for (const spoiler of spoilers) all.push({ ...valid, ...spoiler });
    }
    for (const message of all) {
      total++;
      const ours = jsonRpcKind(message);
      const schema = JSONRPCMessageSchema.safeParse(message).success;
      const theirs = sdkKind(message);
      if ((ours !== undefined) !== schema || ours !== theirs) {
        disagreements.push(`${JSON.stringify(message)}: ours ${ours}, SDK ${theirs} (schema ${schema})`);
      }
      if (ours === undefined) continue;
      accepted++;
      const m = message as JSONRPCMessage;
      if (
        isRequest(m) !== (ours === 'request') ||
        isNotification(m) !== (ours === 'notification') ||
        isResponse(m) !== (ours === 'result' || ours === 'error') ||
        isErrorResponse(m) !== (ours === 'error')
      ) {
        disagreements.push(`${JSON.stringify(message)}: a key-only guard disagrees with ${ours}`);
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    // The combinations cover each kind many times over, and far more invalid messages.
    expect(total).toBeGreaterThan(10_000);
    expect(accepted).toBeGreaterThan(30);
  });

  it('takes optional members present as undefined as absent, and required ones as invalid', () => {
    expect(jsonRpcKind({ jsonrpc: '2.0', id: undefined, method: 'm', params: undefined })).toBe('notification');
    expect(jsonRpcKind({ jsonrpc: '2.0', id: 1, result: undefined })).toBeUndefined();
    expect(jsonRpcKind({ jsonrpc: '2.0', id: 1, method: undefined, result: {} })).toBeUndefined();
  });
});

describe('parseMessage and parseBatch', () => {
  it('skip what is not a JSON-RPC message and keep what is', () => {
    expect(parseMessage('{"jsonrpc":"2.0","id":1,"result":{"content":[]}}')).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [] },
    });
    expect(parseMessage('{"jsonrpc":"2.0","id":1,"result":{},"extra":1}')).toBeUndefined();
    expect(parseMessage('{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}')).toBeUndefined();
    expect(parseMessage('not json')).toBeUndefined();
  });

  it('refuse a body with one invalid message of a batch', () => {
    const good = '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}';
    expect(parseBatch(`[${good},${good}]`, 'POST x')).toHaveLength(2);
    expect(() => parseBatch(`[${good},{"jsonrpc":"2.0"}]`, 'POST x')).toThrow(
      'POST x: the response is not a valid JSON-RPC message',
    );
    expect(() => parseBatch('{', 'POST x')).toThrow('POST x: the response is not valid JSON');
  });
});
