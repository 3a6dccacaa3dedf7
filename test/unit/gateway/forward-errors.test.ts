// What a client is told when a forwarded request fails: where it failed (the gateway, or which backend and step),
// with the JSON-RPC prefix once. Built from the errors the production code throws, not hand-made shapes.
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { httpError, networkError } from '../../../src/actors/mcp/errors.ts';
import { BackendRequestError } from '../../../src/gateway/backend.ts';
import { forwardFailure, RequestError, unrelayable } from '../../../src/gateway/forward-errors.ts';
import { BackendSessionUnavailableError } from '../../../src/machines/backend-session-requests.ts';

const fromBackendError = (err: ReturnType<typeof httpError>) =>
  new BackendRequestError(err.message, { httpStatus: err.status, cause: err });

describe('forwardFailure', () => {
  it('an HTTP error of the backend names the backend and the step, once', () => {
    const failure = forwardFailure('alpha', 'tools/call', fromBackendError(httpError(400, 'POST tools/call', 'x')));
    expect(failure).toBeInstanceOf(RequestError);
    expect(failure.code).toBe(ErrorCode.InternalError);
    expect(failure.message).toBe('backend "alpha" failed: POST tools/call: HTTP 400 (x)');
    // What the SDK client shows is its own prefix plus this message: one "MCP error", not two.
    expect(new McpError(failure.code, failure.message).message).toBe(
      'MCP error -32603: backend "alpha" failed: POST tools/call: HTTP 400 (x)',
    );
  });

  it('a connection failure names the backend and the step', () => {
    const err = networkError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'POST tools/call',
    );
    expect(forwardFailure('alpha', 'tools/call', fromBackendError(err)).message).toBe(
      'backend "alpha" failed: POST tools/call: connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it("the backend's own JSON-RPC error keeps its code and data, loses the SDK prefix, and gains backend and step", () => {
    const err = new McpError(ErrorCode.InvalidParams, 'MCP error -32602: no such city', { field: 'city' });
    const failure = forwardFailure('weather', 'tools/call', err);
    expect(failure.code).toBe(ErrorCode.InvalidParams);
    expect(failure.data).toEqual({ field: 'city' });
    expect(failure.message).toBe('backend "weather" answered tools/call with an error: no such city');
  });

  it('no answer in time names the backend, the request and the wait', () => {
    const err = new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: 60_000 });
    expect(forwardFailure('alpha', 'prompts/get', err).message).toBe(
      'backend "alpha" did not answer prompts/get within 60000 ms',
    );
  });

  it('an unavailable backend is named once', () => {
    const err = new BackendSessionUnavailableError('alpha', 'backoff', 'retrying in 1000 ms');
    const failure = forwardFailure('alpha', 'tools/call', new BackendRequestError(err.message, { cause: err }));
    expect(failure.message).toBe('backend "alpha" is not available (backoff: retrying in 1000 ms)');
  });

  it('a failure inside the gateway says so, not that the backend failed', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    let overflow: unknown;
    try {
      JSON.stringify(deep);
    } catch (err) {
      overflow = err;
    }
    const failure = forwardFailure('alpha', 'tools/call', overflow);
    expect(failure.code).toBe(ErrorCode.InternalError);
    expect(failure.message).toBe(
      'gateway error while forwarding tools/call to backend "alpha" (the backend is not at fault): Maximum call stack size exceeded: the request is nested too deeply',
    );
    expect(forwardFailure('alpha', 'tools/call', new TypeError('x is not a function')).message).toMatch(
      /^gateway error while forwarding tools\/call to backend "alpha" \(the backend is not at fault\): x is not a function$/,
    );
  });

  it("passes the gateway's own refusals on as written", () => {
    const refusal = new RequestError(
      ErrorCode.InvalidRequest,
      'backend "b": an anonymous call cannot use this backend',
    );
    expect(forwardFailure('b', 'tools/call', refusal)).toBe(refusal);
  });
});

describe('unrelayable', () => {
  const ok = { content: [{ type: 'text', text: 'hi' }] };

  it('passes a valid tool result, and results of other methods unchecked for shape', async () => {
    expect(await unrelayable('a', 'tools/call', {}, ok)).toBeUndefined();
    expect(await unrelayable('a', 'prompts/get', {}, { anything: 1 })).toBeUndefined();
    // A task-augmented call answers with a task.
    const task = { taskId: 't', status: 'working', ttl: null, createdAt: 'x', lastUpdatedAt: 'x' };
    expect(await unrelayable('a', 'tools/call', { task: {} }, { task })).toBeUndefined();
    // Blocks other than text go to the SDK's schema, which accepts them too.
    const image = { content: [{ type: 'image', data: 'AAAA', mimeType: 'image/png' }], isError: false };
    expect(await unrelayable('a', 'tools/call', {}, image)).toBeUndefined();
  });

  it('blames the backend for a task-augmented call answered with something that is not a task', async () => {
    expect((await unrelayable('a', 'tools/call', { task: {} }, { task: { taskId: 't' } }))?.message).toMatch(
      /^backend "a" answered tools\/call with an invalid task \(task\.status: /,
    );
  });

  it('blames the backend for a tool result that is not one, naming what is wrong', async () => {
    expect((await unrelayable('a', 'tools/call', {}, { content: 'x' }))?.message).toBe(
      'backend "a" answered tools/call with an invalid result (content: Invalid input: expected array, received string)',
    );
  });

  it('calls a result nested deeper than 1000 levels a gateway limit, for every method', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1001; i++) deep = { a: deep };
    expect((await unrelayable('a', 'resources/read', {}, { deep }))?.message).toMatch(
      /^gateway error while relaying the result of resources\/read from backend "a" \(the backend is not at fault\): the result nests more than 1000 levels deep/,
    );
  });
});
