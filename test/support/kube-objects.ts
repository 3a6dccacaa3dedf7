// Small REST helpers for tests against the real control plane: create/get/patch/delete namespaced objects (core and
// custom), status-subresource writes, server-side Table output, and applying example manifests. Raw HTTP (undici)
// with the kubeconfig's embedded certificates, so tests see exactly what the API server returns.
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent, fetch } from 'undici';
import { parseAllDocuments } from 'yaml';
import { type ResourceId, SERVED_RESOURCES } from '../../src/api/resources.ts';

/** A namespaced Kubernetes object as it travels on the wire (tests read fields loosely). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; resourceVersion?: string; [k: string]: unknown };
  // biome-ignore lint/suspicious/noExplicitAny: tests poke at arbitrary spec/status fields of many kinds
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  status?: any;
  [k: string]: unknown;
}

/** A non-2xx answer, with the API server's Status message (the text a CEL rule's message ends up in). */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly body: unknown;
  constructor(method: string, path: string, status: number, body: unknown) {
    const s = body as { message?: string; reason?: string } | undefined;
    super(`${method} ${path}: HTTP ${status}: ${s?.message ?? JSON.stringify(body)}`);
    this.status = status;
    this.reason = s?.reason;
    this.body = body;
  }
}

/** meta.k8s.io/v1 Table, the server-side rendering `kubectl get` shows. */
export interface Table {
  columnDefinitions: Array<{ name: string; type: string; priority: number }>;
  rows: Array<{ cells: unknown[]; object?: unknown }>;
}

const CORE_PLURALS: Record<string, string> = {
  Secret: 'secrets',
  ConfigMap: 'configmaps',
  ServiceAccount: 'serviceaccounts',
  Service: 'services',
};

const b64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

export interface KubeObjects {
  /** `dryRun`: the server validates and admits (or refuses) the object but stores nothing. */
  create(res: ResourceId, namespace: string, body: object, opts?: { dryRun?: boolean }): Promise<KubeObject>;
  get(res: ResourceId, namespace: string, name: string): Promise<KubeObject>;
  /** JSON merge patch of the main resource (spec, metadata); status in the patch is ignored by the server. */
  mergePatch(res: ResourceId, namespace: string, name: string, patch: object): Promise<KubeObject>;
  /** JSON merge patch through the status subresource; spec in the patch is ignored by the server. */
  mergePatchStatus(res: ResourceId, namespace: string, name: string, patch: object): Promise<KubeObject>;
  replace(res: ResourceId, namespace: string, name: string, body: object): Promise<KubeObject>;
  delete(res: ResourceId, namespace: string, name: string): Promise<void>;
  /** Server-side Table output for one object (`kubectl get <kind> <name>`). */
  table(res: ResourceId, namespace: string, name: string): Promise<Table>;
  /** Creates every document of a multi-document YAML manifest in `namespace`, in order; returns what the server stored. */
  applyManifest(yamlText: string, namespace: string): Promise<KubeObject[]>;
  close(): Promise<void>;
}

export function kubeObjects(kc: KubeConfig): KubeObjects {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (cluster === null || user === null) throw new Error('kubeconfig has no current cluster/user');
  const dispatcher = new Agent({
    connect: { ca: b64(cluster.caData), cert: b64(user.certData), key: b64(user.keyData), minVersion: 'TLSv1.2' },
  });

  async function request(
    method: string,
    path: string,
    opts: { body?: unknown; contentType?: string; accept?: string } = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await fetch(`${cluster!.server}${path}`, {
      method,
      dispatcher,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      // keep the raw text in the error
    }
    if (!res.ok) throw new KubeApiError(method, path, res.status, json);
    return json;
  }

  const base = (res: ResourceId, ns: string) =>
    res.group === ''
      ? `/api/v1/namespaces/${ns}/${res.plural}`
      : `/apis/${res.group}/${res.version}/namespaces/${ns}/${res.plural}`;
  const merge = 'application/merge-patch+json';

  function resourceFor(doc: KubeObject): ResourceId {
    if (doc.apiVersion === 'v1') {
      const plural = CORE_PLURALS[doc.kind];
      if (plural === undefined) throw new Error(`kube-objects: no plural known for core kind ${doc.kind}`);
      return { group: '', version: 'v1', plural, kind: doc.kind };
    }
    const res = SERVED_RESOURCES.find((r) => `${r.group}/${r.version}` === doc.apiVersion && r.kind === doc.kind);
    if (res === undefined) throw new Error(`kube-objects: unknown resource ${doc.apiVersion} ${doc.kind}`);
    return res;
  }

  return {
    create: async (res, ns, body, opts) =>
      (await request('POST', `${base(res, ns)}${opts?.dryRun ? '?dryRun=All' : ''}`, { body })) as KubeObject,
    get: async (res, ns, name) => (await request('GET', `${base(res, ns)}/${name}`)) as KubeObject,
    mergePatch: async (res, ns, name, patch) =>
      (await request('PATCH', `${base(res, ns)}/${name}`, { body: patch, contentType: merge })) as KubeObject,
    mergePatchStatus: async (res, ns, name, patch) =>
      (await request('PATCH', `${base(res, ns)}/${name}/status`, { body: patch, contentType: merge })) as KubeObject,
    replace: async (res, ns, name, body) => (await request('PUT', `${base(res, ns)}/${name}`, { body })) as KubeObject,
    delete: async (res, ns, name) => {
      await request('DELETE', `${base(res, ns)}/${name}`);
    },
    table: async (res, ns, name) =>
      (await request('GET', `${base(res, ns)}/${name}`, {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      })) as Table,
    applyManifest: async (yamlText, ns) => {
      const created: KubeObject[] = [];
      for (const doc of parseAllDocuments(yamlText)) {
        if (doc.errors.length > 0) throw new Error(`kube-objects: bad YAML: ${doc.errors[0]?.message}`);
        const obj = doc.toJS() as KubeObject | null;
        if (obj === null) continue;
        created.push((await request('POST', base(resourceFor(obj), ns), { body: obj })) as KubeObject);
      }
      return created;
    },
    close: () => dispatcher.close(),
  };
}

/** Awaits a request that must fail, and returns the error; fails the test with what the server stored otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<KubeApiError> {
  try {
    const stored = await promise;
    throw new Error(`expected the API server to reject the request, but it accepted: ${JSON.stringify(stored)}`);
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
}
