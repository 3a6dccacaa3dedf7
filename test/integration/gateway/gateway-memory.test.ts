// What one client can make the gateway hold. The gateway runs as `mcpre gateway` in a child process with the
// inspector open; its heap is read after forced garbage collections (HeapProfiler.collectGarbage, then
// Runtime.getHeapUsage), so the number is what stays reachable, not garbage not yet collected. The backend is the
// fault fixture on loopback, whose `big` tool returns as many bytes as asked.
//
// Bounds stated here:
// - 100 calls returning 3 MB each, delivered: the used heap grows by at most 16 MiB (the whole payload is 300 MB).
// - Responses whose client went away before they arrived are kept for a resume, within the configured limits
//   (8 MiB per session, 10 MiB for the gateway): the store holds at most 10 MiB, the heap grows by at most 16 MiB
//   more than that.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { type RunningChild, servingUrl, spawnChild } from '../../support/child-process.ts';
import { eventually } from '../../support/eventually.ts';
import { mcpHeaders, SESSION_REVISION as version } from '../../support/mcp-http.ts';

const MiB = 1024 * 1024;
const PAYLOAD = 3_000_000;
const HEAP_GROWTH_BOUND = 16 * MiB;
const SESSION_LIMIT = 8 * MiB;
const GATEWAY_LIMIT = 10 * MiB;

/** A Chrome DevTools Protocol connection to the child's inspector. */
class Inspector {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = msg.id === undefined ? undefined : this.#pending.get(msg.id);
      if (!waiter) return;
      this.#pending.delete(msg.id!);
      if (msg.error) waiter.reject(new Error(msg.error.message));
      else waiter.resolve(msg.result);
    });
  }

  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)), {
        once: true,
      });
    });
    return new Inspector(ws);
  }

  call<T>(method: string, params: object = {}): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer in 30 s`)), 30_000);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Used heap after full collections (two: the first may free what a finalizer still held). */
  async usedHeap(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
    return (await this.call<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize;
  }

  close(): void {
    this.#ws.close();
  }
}

describe('gateway memory under large results', () => {
  let backend: FaultServer;
  let gateway: RunningChild;
  let inspector: Inspector;
  let url: URL;
  let dir: string;

  beforeAll(async () => {
    // No event store in the backend: it would keep every result in this process.
    backend = await startFaultServer({ tools: ['big'], listChanged: false, eventIds: false });
    dir = mkdtempSync(join(tmpdir(), 'mcpre-memory-'));
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        backends: [{ name: 'fx', url: backend.url }],
        server: { resumableStreams: { maxBytesPerSession: SESSION_LIMIT, maxBytes: GATEWAY_LIMIT } },
      }),
    );
    gateway = spawnChild(
      process.execPath,
      ['--inspect=127.0.0.1:0', 'src/cli.ts', 'gateway', '--config', config, '--port', '0', '--log-level', 'warn'],
      { env: { PATH: process.env.PATH } },
    );
    url = await servingUrl(gateway, 30_000);
    const ws = await eventually(
      'the inspector address on stderr',
      async () => /Debugger listening on (ws:\/\/\S+)/.exec(gateway.stderr())?.[1],
    );
    inspector = await Inspector.connect(ws);
    await eventually('the gateway ready', async () => ((await fetch(new URL('/readyz', url))).ok ? true : undefined), {
      timeoutMs: 30_000,
    });
  });

  afterAll(async () => {
    inspector?.close();
    await gateway?.stop();
    await backend?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(new URL('/metrics', url))).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || l.startsWith(`${name}${labels}{`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  async function connect(): Promise<Client> {
    const client = new Client({ name: 'memory-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url));
    return client;
  }

  it('holds nothing of a delivered result: 100 calls of 3 MB leave the heap within 16 MiB of where it was', async () => {
    const client = await connect();
    const tool = (await client.listTools()).tools.find((t) => t.name.endsWith('big'))!.name;
    const call = async () => {
      const r = await client.callTool({ name: tool, arguments: { bytes: PAYLOAD } });
      expect((r.content as Array<{ text: string }>)[0]!.text.length).toBe(PAYLOAD);
    };
    // Warm up (code paths compiled, pools filled) before the baseline.
    for (let i = 0; i < 3; i++) await call();
    const before = await inspector.usedHeap();
    for (let i = 0; i < 100; i++) await call();
    const after = await inspector.usedHeap();
    const stored = await metric('mcpre_gateway_event_store_bytes');
    console.log(
      `gateway heap: ${(before / MiB).toFixed(1)} MiB before, ${(after / MiB).toFixed(1)} MiB after 100 calls of 3 MB; event store ${stored} bytes`,
    );
    expect(after - before).toBeLessThan(HEAP_GROWTH_BOUND);
    // Only the session's standalone stream (if any notifications) may remain: no result.
    expect(stored).toBeLessThan(64 * 1024);
    await client.close();
    // 300 MB through the gateway and the SDK client: about a minute on a busy 2-core machine.
  }, 300_000);

  it('keeps what a client that went away has not received, within the per-session and gateway limits', async () => {
    const post = (body: object, session?: string, signal?: AbortSignal) =>
      fetch(url, {
        method: 'POST',
        headers: mcpHeaders(session),
        body: JSON.stringify(body),
        signal,
      });
    const openSession = async () => {
      const res = await post({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      });
      await res.text();
      const session = res.headers.get('mcp-session-id')!;
      await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).text();
      return session;
    };
    /** Start a slow 3 MB call, read the priming event, then hang up before the result comes. */
    const abandonedCall = async (session: string, id: number) => {
      const abort = new AbortController();
      const res = await post(
        {
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'fx_big', arguments: { bytes: PAYLOAD, delayMs: 300 } },
        },
        session,
        abort.signal,
      );
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      await reader.read();
      abort.abort();
      await reader.cancel().catch(() => {});
    };
    const lost = (reason: string) => metric('mcpre_gateway_event_store_lost_total', `{reason="${reason}"}`);
    const answered = () =>
      metric('mcpre_gateway_backend_calls_total', '{backend="fx",method="tools/call",outcome="ok"}');
    const abandonAndWait = async (session: string, id: number) => {
      const done = (await answered()) + 1;
      await abandonedCall(session, id);
      // The gateway stores the result as it relays the backend's answer.
      await eventually(`call ${id} answered`, async () => ((await answered()) >= done ? true : undefined));
    };

    const before = await inspector.usedHeap();
    const first = await openSession();
    for (let i = 1; i <= 4; i++) await abandonAndWait(first, i);
    // Two results fit the session's 8 MiB; each later one pushed the oldest out.
    const oneSession = await metric('mcpre_gateway_event_store_bytes');
    expect(oneSession).toBeGreaterThanOrEqual(2 * PAYLOAD);
    expect(oneSession).toBeLessThanOrEqual(SESSION_LIMIT);
    expect(await lost('session-limit')).toBeGreaterThanOrEqual(2);

    const second = await openSession();
    for (let i = 1; i <= 4; i++) await abandonAndWait(second, 100 + i);
    // Two sessions with 6 MB each would be 12 MB: the gateway's 10 MiB made the oldest of the first session go.
    expect(await lost('gateway-limit')).toBeGreaterThanOrEqual(1);
    const stored = await metric('mcpre_gateway_event_store_bytes');
    expect(stored).toBeLessThanOrEqual(GATEWAY_LIMIT);
    const after = await inspector.usedHeap();
    console.log(
      `gateway heap: ${(before / MiB).toFixed(1)} MiB before, ${(after / MiB).toFixed(1)} MiB after 8 abandoned calls of 3 MB; event store ${stored} bytes`,
    );
    expect(after - before).toBeLessThan(GATEWAY_LIMIT + HEAP_GROWTH_BOUND);

    // Ending the sessions gives everything back.
    for (const session of [first, second]) {
      await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session, 'mcp-protocol-version': version } });
    }
    await eventually('the store empty', async () =>
      (await metric('mcpre_gateway_event_store_bytes')) === 0 ? true : undefined,
    );
  });
});
