// Our transports attach a request's hooks (its log notifications, its HTTP status, its server requests) with
// bindNextRequest right before McpConnection calls the SDK's Client.request, and claim them in send's synchronous
// prefix. That only pairs hooks with the right request if Client.request calls transport.send before it returns.
// These tests pin that: with an SDK that sent a turn later, concurrent requests would take each other's hooks.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  EmptyResultSchema,
  isInitializeRequest,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type JSONRPCRequest,
  LATEST_PROTOCOL_VERSION,
} from '@modelcontextprotocol/sdk/types.js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { McpConnection } from '../../../src/actors/mcp/connection.ts';
import { createSecretRedactor } from '../../../src/actors/mcp/redactor.ts';
import { Inbox } from '../../../src/actors/mcp/transports/inbox.ts';
import type { McpTransport } from '../../../src/actors/mcp/transports/types.ts';

/** Answers initialize and every request; `onRequest` sees each request as send receives it. */
class AnsweringTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly sent: string[] = [];
  readonly #onRequest: (message: JSONRPCRequest) => void;

  constructor(onRequest: (message: JSONRPCRequest) => void = () => {}) {
    this.#onRequest = onRequest;
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (!isJSONRPCRequest(message)) return;
    this.sent.push(message.method);
    if (!isInitializeRequest(message)) this.#onRequest(message);
    const result = isInitializeRequest(message)
      ? { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, serverInfo: { name: 'fake', version: '1' } }
      : {};
    queueMicrotask(() => this.onmessage?.({ jsonrpc: '2.0', id: message.id, result }));
  }

  async close(): Promise<void> {
    this.onclose?.();
  }
}

describe("the SDK's Client.request and transport.send", () => {
  it('send has been called when Client.request returns, before any await', async () => {
    const transport = new AnsweringTransport();
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(transport);
    const before = transport.sent.length;
    const answered = client.request({ method: 'ping' }, EmptyResultSchema);
    expect(transport.sent.slice(before)).toEqual(['ping']);
    await answered;
    await client.close();
  });

  it('concurrent requests through McpConnection each get their own hooks', async () => {
    // A transport whose send claims the bound hooks in its synchronous prefix, as the real ones do (the same Inbox),
    // and reports each request's status from its own params.
    const inbox = new Inbox(createSecretRedactor(), () => {});
    const fake = new AnsweringTransport((message) => {
      const flight = inbox.claim(message.id);
      flight.hooks?.onStatus?.((message.params as { status: number }).status);
    });
    const transport = Object.assign(fake, {
      kind: 'streamable-http' as const,
      protocolVersion: LATEST_PROTOCOL_VERSION,
      bindNextRequest: (hooks: Parameters<McpTransport['bindNextRequest']>[0]) => inbox.bindNextRequest(hooks),
      openNotificationStream: async () => ({ kind: 'ended' as const }),
      terminate: async () => {},
      hooksForServerRequest: () => undefined,
    }) satisfies McpTransport;
    const connection = new McpConnection(transport, { log: pino({ level: 'silent' }) });
    await connection.initialize(AbortSignal.timeout(10_000));
    const statuses = [201, 202, 203];
    const replies = await Promise.all(statuses.map((status) => connection.request('tools/call', { status })));
    expect(replies.map((r) => r.report.httpStatus)).toEqual(statuses);
    await connection.close();
  });
});
