// Where the API server is and how to authenticate to it, without loading @kubernetes/client-node when it is not
// needed: its KubeConfig pulls in the whole generated API client (about 65 MiB of resident memory, 20 MiB of it
// source text) although the operator only needs a server URL, TLS material and a bearer token. The shapes read here
// are the common ones: a service account in the cluster, and kubeconfig files whose user has a client certificate
// and/or a token. Anything else (exec and auth-provider plugins, impersonation, basic auth, proxies) is handed to
// client-node's KubeConfig, loaded only then, so its semantics stay exactly its own.
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** What the transport needs from a kubeconfig; client-node's KubeConfig has this shape too. */
export interface KubeTarget {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: HttpsOptionsLike): Promise<void>;
}

export interface HttpsOptionsLike {
  headers?: Record<string, unknown>;
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Simple {
  server: string;
  caFile?: string;
  caData?: string;
  skipTLSVerify?: boolean;
  tlsServerName?: string;
  certFile?: string;
  certData?: string;
  keyFile?: string;
  keyData?: string;
  token?: string;
  tokenFile?: string;
}

class SimpleKubeTarget implements KubeTarget {
  readonly #c: Simple;
  constructor(c: Simple) {
    this.#c = c;
  }
  getCurrentCluster() {
    return { server: this.#c.server };
  }
  /** Files are read on every call, so rotated certificates and projected tokens are picked up. */
  async applyToHTTPSOptions(opts: HttpsOptionsLike): Promise<void> {
    const c = this.#c;
    if (c.skipTLSVerify) opts.rejectUnauthorized = false;
    if (c.tlsServerName) opts.servername = c.tlsServerName;
    const ca = fileOrData(c.caFile, c.caData);
    if (ca) opts.ca = ca;
    const cert = fileOrData(c.certFile, c.certData);
    if (cert) opts.cert = cert;
    const key = fileOrData(c.keyFile, c.keyData);
    if (key) opts.key = key;
    const token = c.tokenFile ? readFileSync(c.tokenFile, 'utf8').trim() : c.token;
    opts.headers ??= {};
    if (token) opts.headers.Authorization = `Bearer ${token}`;
  }
}

function fileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

/** The service account the pod runs as (KUBERNETES_SERVICE_HOST/PORT, token and CA mounted by the kubelet). */
export function inClusterTarget(env: NodeJS.ProcessEnv = process.env, dir = SA_DIR): KubeTarget {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '';
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  return new SimpleKubeTarget({ server, caFile: `${dir}/ca.crt`, tokenFile: `${dir}/token` });
}

type Entry = Record<string, unknown>;
const USER_KEYS = new Set(['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token']);
const CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
]);

/**
 * The current context of a kubeconfig file, when it is one of the simple shapes above; undefined otherwise (the
 * caller then uses client-node). Relative file paths are relative to the kubeconfig's directory, as kubectl has it.
 */
export function simpleKubeconfig(text: string, file: string): KubeTarget | undefined {
  const doc = parseYaml(text) as Entry | null;
  if (!doc || typeof doc !== 'object') return undefined;
  const named = (list: unknown, name: unknown, field: string): Entry | undefined => {
    if (!Array.isArray(list)) return undefined;
    const hit = (list as Entry[]).find((e) => e?.name === name);
    const inner = hit?.[field];
    return inner && typeof inner === 'object' ? (inner as Entry) : undefined;
  };
  const context = named(doc.contexts, doc['current-context'], 'context');
  const cluster = named(doc.clusters, context?.cluster, 'cluster');
  const user = named(doc.users, context?.user, 'user') ?? {};
  if (!cluster || typeof cluster.server !== 'string') return undefined;
  if (!Object.keys(cluster).every((k) => CLUSTER_KEYS.has(k))) return undefined;
  if (!Object.keys(user).every((k) => USER_KEYS.has(k))) return undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const path = (v: unknown) => {
    const p = str(v);
    return p && !isAbsolute(p) ? join(dirname(file), p) : p;
  };
  return new SimpleKubeTarget({
    server: cluster.server.replace(/\/$/, ''),
    caFile: path(cluster['certificate-authority']),
    caData: str(cluster['certificate-authority-data']),
    skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: str(cluster['tls-server-name']),
    certFile: path(user['client-certificate']),
    certData: str(user['client-certificate-data']),
    keyFile: path(user['client-key']),
    keyData: str(user['client-key-data']),
    token: str(user.token),
  });
}

/** A kubeconfig file: the simple reader when it can, client-node's KubeConfig when the file needs more. */
export async function kubeconfigFromFile(file: string): Promise<KubeTarget> {
  const simple = simpleKubeconfig(readFileSync(file, 'utf8'), file);
  if (simple) return simple;
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}
