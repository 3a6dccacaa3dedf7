// A minimal admin REST client for bringing the control plane up (health, namespaces, CRDs) before and apart from
// @kubernetes/client-node: it needs only the CA, the client certificate and undici.
import { Agent, fetch } from 'undici';

export interface AdminClient {
  request(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<{ status: number; json: unknown; text: string }>;
  close(): Promise<void>;
}

export function adminClient(server: string, tls: { ca: string; cert: string; key: string }): AdminClient {
  const dispatcher = new Agent({ connect: { ca: tls.ca, cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' } });
  return {
    async request(method, path, body, contentType) {
      const res = await fetch(`${server}${path}`, {
        method,
        dispatcher,
        headers:
          body === undefined
            ? {}
            : {
                'content-type':
                  contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'),
              },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text };
    },
    close: () => dispatcher.close(),
  };
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes; `what` names it in the error. */
export async function pollUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs: number; onTimeout?: () => Promise<string> },
): Promise<void> {
  const deadline = performance.now() + opts.timeoutMs;
  let lastError: unknown;
  while (performance.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
  const extra = opts.onTimeout ? `\n${await opts.onTimeout()}` : '';
  const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${cause}${extra}`);
}
