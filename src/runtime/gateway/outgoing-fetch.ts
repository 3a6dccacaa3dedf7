// The HTTP client the stand-in adapter hands to the SDK transports: undici with the system CA pool plus an optional
// CA bundle, TLS 1.2 minimum, no body timeout (SSE streams are long-lived), and headers computed per request so
// secret values are read at request time and never stored in the transport's options.

import { getCACertificates } from 'node:tls';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { knownSecrets } from '../../actors/mcp/redactor.ts';
import { backendRequestContext } from './request-context.ts';

export interface OutgoingFetchOptions {
  /** PEM text of extra CA certificates, appended to the system pool. */
  caPem?: string;
  /** Headers to set on every request, computed at request time. */
  headers: () => Record<string, string>;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
}

export interface OutgoingFetch {
  fetch: FetchLike;
  close(): Promise<void>;
}

export function createOutgoingFetch(opts: OutgoingFetchOptions): OutgoingFetch {
  const agent = new Agent({
    connect: {
      timeout: opts.connectTimeoutMs ?? 10_000,
      minVersion: 'TLSv1.2',
      // `ca` replaces Node's default roots, so the system pool is passed along explicitly.
      ...(opts.caPem ? { ca: [...systemRoots(), opts.caPem] } : {}),
    },
    headersTimeout: opts.headersTimeoutMs ?? 60_000,
    bodyTimeout: 0,
    keepAliveTimeout: 30_000,
  });
  const fetchLike: FetchLike = async (url, init) => {
    const headers = new Headers(init?.headers);
    const configured = opts.headers();
    // The stand-in's errors are the SDK's words: the log pipeline and /readyz check them against what was sent.
    knownSecrets.addHeaders(configured);
    for (const [name, value] of Object.entries(configured)) headers.set(name, value);
    // undici's RequestInit/Response types differ from the DOM ones the SDK uses; the runtime objects are compatible.
    const response = (await undiciFetch(
      url as string | URL,
      {
        ...(init as object),
        headers,
        dispatcher: agent,
      } as unknown as Parameters<typeof undiciFetch>[1],
    )) as unknown as Response;
    const ctx = backendRequestContext.getStore();
    if (ctx && init?.method === 'POST') ctx.httpStatus = response.status;
    return response;
  };
  return { fetch: fetchLike, close: () => agent.close() };
}

let roots: readonly string[] | undefined;
function systemRoots(): readonly string[] {
  // Node's bundled roots plus the operating system's store, once per process: only backends with a CA bundle need it.
  if (!roots) roots = [...new Set([...getCACertificates('default'), ...systemStore()])];
  return roots;
}

function systemStore(): string[] {
  try {
    return getCACertificates('system');
  } catch {
    return [];
  }
}
