// The operator's KubeHttp port (requests and watches by path) served by the simulator's in-memory API server, so the
// production effect actors and informers run unchanged in a simulation. Paths, verbs and content types are the
// ones the real API server takes; errors come back as the KubeApiError the effects already classify.
import { KubeApiError, type KubeRequest } from '../actors/kube/kube-api.ts';
import type { KubeHttp, WatchEvent } from '../runtime/kube/kube-http.ts';
import { FakeApiError, type FakeApiServer, type KubeObject, WATCH_ENDED } from './fake-apiserver.ts';

interface ParsedPath {
  resource: string;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/** `/api/v1/namespaces/ns/configmaps/x` or `/apis/g/v/namespaces/ns/plural/x/status` (namespace optional). */
export function parsePath(path: string): ParsedPath {
  const parts = path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  let i: number;
  let group = '';
  if (parts[0] === 'api') i = 2;
  else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    i = 3;
  } else throw new KubeApiError(`unsupported path ${path}`, 404, 'NotFound');
  let namespace: string | undefined;
  if (parts[i] === 'namespaces' && parts.length > i + 2) {
    namespace = parts[i + 1];
    i += 2;
  }
  const plural = parts[i];
  if (!plural) throw new KubeApiError(`unsupported path ${path}`, 404, 'NotFound');
  return { resource: group ? `${plural}.${group}` : plural, namespace, name: parts[i + 1], subresource: parts[i + 2] };
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object') return patch;
  if (Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const REASONS: Record<number, string> = {
  404: 'NotFound',
  409: 'Conflict',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
};

async function translate<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof FakeApiError) {
      const reason = err.code === 409 && /already exists/.test(err.message) ? 'AlreadyExists' : REASONS[err.code];
      throw new KubeApiError(err.message, err.code, reason, err.retryAfterMs);
    }
    throw err;
  }
}

export function fakeKubeHttp(server: FakeApiServer): KubeHttp {
  const write = async (req: KubeRequest, p: ParsedPath): Promise<unknown> => {
    const ns = p.namespace ?? '';
    const body = req.body as KubeObject;
    if (req.method === 'POST')
      return server.create(p.resource, { ...body, metadata: { ...body.metadata, namespace: ns } });
    if (req.method === 'DELETE') return server.delete(p.resource, ns, p.name!);
    if (req.method === 'PUT') {
      return p.subresource === 'status' ? server.updateStatus(p.resource, body) : server.update(p.resource, body);
    }
    // PATCH: read, patch, write back with the read resourceVersion (or the caller's precondition, when given).
    const current = await server.get(p.resource, ns, p.name!).catch((err: unknown) => {
      if (req.contentType === 'application/apply-patch+yaml' && err instanceof FakeApiError && err.code === 404)
        return undefined;
      throw err;
    });
    if (!current)
      return server.create(p.resource, { ...body, metadata: { ...body.metadata, namespace: ns, name: p.name! } });
    const patched = mergePatch(current, req.body) as KubeObject;
    const precondition = (req.body as KubeObject | undefined)?.metadata?.resourceVersion;
    // The read object is the stored version, frozen: the patch shares what it does not change.
    patched.metadata = { ...patched.metadata, resourceVersion: precondition ?? current.metadata.resourceVersion };
    return p.subresource === 'status' ? server.updateStatus(p.resource, patched) : server.update(p.resource, patched);
  };

  return {
    async request<T>(req: KubeRequest): Promise<T> {
      const p = parsePath(req.path);
      if (req.method === 'GET') {
        if (p.name) return (await translate(server.get(p.resource, p.namespace ?? '', p.name))) as T;
        const selector = req.query?.labelSelector === undefined ? undefined : String(req.query.labelSelector);
        const list = await translate(server.list(p.resource, p.namespace, selector));
        return { items: list.items, metadata: { resourceVersion: list.resourceVersion } } as T;
      }
      return (await translate(write(req, p))) as T;
    },
    watch(path, query, onEvent, opts) {
      const p = parsePath(path);
      return new Promise<void>((resolve, reject) => {
        const timeoutSeconds = query.timeoutSeconds === undefined ? undefined : Number(query.timeoutSeconds);
        server.watch(
          p.resource,
          p.namespace,
          String(query.resourceVersion ?? '0'),
          {
            onEvent: (type, object) => onEvent({ type, object } as WatchEvent),
            onClose: (code) => {
              if (code === WATCH_ENDED) resolve();
              else if (code === 410) {
                onEvent({
                  type: 'ERROR',
                  object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' },
                });
                resolve();
              } else if (code === 404) reject(new KubeApiError(`WATCH ${path}: not found`, 404, 'NotFound'));
              else reject(new KubeApiError('watch connection lost (injected)', undefined));
            },
          },
          {
            labelSelector: query.labelSelector === undefined ? undefined : String(query.labelSelector),
            timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
            signal: opts.signal,
          },
        );
      });
    },
    async close() {},
  };
}
