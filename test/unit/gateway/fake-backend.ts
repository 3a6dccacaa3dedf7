// An in-memory Backend for aggregation and routing tests: lists and state are set by the test.
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type {
  Backend,
  BackendInfo,
  BackendLists,
  BackendRequestOptions,
  BackendRequestResult,
  BackendState,
} from '../../../src/gateway/backend.ts';
import { emptyLists } from '../../../src/gateway/backend.ts';

export class FakeBackend implements Backend {
  readonly info: BackendInfo;
  state: BackendState = 'connecting';
  reason: string | undefined;
  lists: BackendLists = emptyLists();
  capabilities: ServerCapabilities | undefined = { tools: {}, resources: { subscribe: true }, prompts: {} };
  protocolVersion: string | undefined;
  readonly requests: Array<{ method: string; params: Record<string, unknown> | undefined }> = [];
  respond: (
    method: string,
    params: Record<string, unknown> | undefined,
    opts: BackendRequestOptions,
  ) => Promise<Record<string, unknown>> = async () => ({});
  readonly #listeners = new Set<() => void>();
  readonly #updates = new Set<(uri: string) => void>();

  constructor(name: string, type: BackendInfo['type'] = 'direct') {
    this.info = { name, url: `http://${name}.test/mcp`, type, authMethod: 'unauthenticated' };
  }

  set(state: BackendState, lists: Partial<BackendLists> = {}): void {
    this.state = state;
    this.lists = { ...emptyLists(), ...lists };
    for (const l of this.#listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onResourceUpdated(listener: (uri: string) => void): () => void {
    this.#updates.add(listener);
    return () => this.#updates.delete(listener);
  }

  /** Simulate `notifications/resources/updated` from the backend. */
  updated(uri: string): void {
    for (const l of this.#updates) l(uri);
  }

  async start(): Promise<void> {}

  async request(
    method: string,
    params: Record<string, unknown> | undefined,
    opts: BackendRequestOptions = {},
  ): Promise<BackendRequestResult<Record<string, unknown>>> {
    this.requests.push({ method, params });
    return { result: await this.respond(method, params, opts), report: { httpStatus: 200 } };
  }

  async close(): Promise<void> {
    this.set('closed');
  }
}
