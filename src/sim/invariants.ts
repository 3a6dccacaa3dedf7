// What must hold in a simulated cluster. `always` invariants are checked after every step; `settled` ones only after
// the quiet phase, when the operator has had time to converge (a Ready endpoint may briefly outlive its deleted group
// while the change is still on its way: that is eventual consistency, not a bug).
import type { FakeApiServer, KubeObject } from './fake-apiserver.ts';
import { NS, R } from './scenario.ts';

export interface Violation {
  invariant: string;
  detail: string;
}

interface Cond {
  type: string;
  status: string;
}
interface EndpointObj extends KubeObject {
  spec: {
    type?: string;
    remoteURL: string;
    groupRef: string;
    externalAuthConfigRef?: { name: string };
    caBundleRef?: { name: string; key?: string };
    toolConfigRef?: { name: string };
    headerForward?: { addHeadersFromSecret?: { valueSecretRef: { name: string; key: string } }[] };
  };
  status?: { phase?: string; url?: string; conditions?: Cond[] };
}

const ready = (e: EndpointObj) => e.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The first Service owned by each MCPRemoteEndpoint, by the endpoint's name. */
function servicesByOwner(api: FakeApiServer): Map<string, Readonly<KubeObject>> {
  const out = new Map<string, Readonly<KubeObject>>();
  for (const s of api.view(R.service)) {
    for (const o of s.metadata.ownerReferences ?? [])
      if (o.kind === 'MCPRemoteEndpoint' && !out.has(o.name)) out.set(o.name, s);
  }
  return out;
}

function checkStatusUrl(e: EndpointObj, services: Map<string, Readonly<KubeObject>>, out: Violation[]): void {
  const url = e.status?.url;
  const name = e.metadata.name;
  if (ready(e) && !url) out.push({ invariant: 'statusUrlFollowsRfc', detail: `${name} is Ready without status.url` });
  if (!url) return;
  if ((e.spec.type ?? 'proxy') === 'direct') {
    if (url !== e.spec.remoteURL) {
      out.push({
        invariant: 'statusUrlFollowsRfc',
        detail: `direct ${name}: url ${url} != spec.remoteURL ${e.spec.remoteURL}`,
      });
    }
    return;
  }
  const svc = services.get(name);
  const port = (svc?.spec as { ports?: { port: number }[] } | undefined)?.ports?.[0]?.port;
  const expected = svc ? `http://${svc.metadata.name}.${NS}.svc.cluster.local:${port}` : '(no Service)';
  if (url !== expected)
    out.push({ invariant: 'statusUrlFollowsRfc', detail: `proxy ${name}: url ${url}, expected ${expected}` });
}

/** status.url per the RFC: direct = spec.remoteURL; proxy = its own Service's cluster URL; nothing else, ever. */
export function checkStatusUrls(api: FakeApiServer): Violation[] {
  const out: Violation[] = [];
  const services = servicesByOwner(api);
  for (const e of api.view(R.endpoint)) checkStatusUrl(e as EndpointObj, services, out);
  return out;
}

/**
 * The same invariant checked after every step, on what changed only: the endpoints written since the last check, or
 * all of them when a Service changed (a Service decides the URLs of the endpoints owning it). Endpoints are visited in
 * the order the full check visits them, so both report the same violations in the same order.
 */
export class StatusUrlChecker {
  readonly #dirty = new Set<string>();
  #servicesChanged = false;
  /** Services by owning endpoint, rebuilt when a Service changed. */
  #services: Map<string, Readonly<KubeObject>> | undefined;
  readonly #api: FakeApiServer;

  constructor(api: FakeApiServer) {
    this.#api = api;
    api.onChange((resource, _type, object) => {
      if (resource === R.endpoint) this.#dirty.add(object.metadata.name);
      else if (resource === R.service) this.#servicesChanged = true;
    });
  }

  check(): Violation[] {
    if (!this.#servicesChanged && !this.#dirty.size) return [];
    const all = this.#servicesChanged;
    const out: Violation[] = [];
    if (all || !this.#services) this.#services = servicesByOwner(this.#api);
    const services = this.#services;
    for (const e of this.#api.view(R.endpoint))
      if (all || this.#dirty.has(e.metadata.name)) checkStatusUrl(e as EndpointObj, services, out);
    this.#dirty.clear();
    this.#servicesChanged = false;
    return out;
  }
}

/** After convergence: a Ready endpoint's references all exist and are usable. */
export function checkReadyReferences(api: FakeApiServer): Violation[] {
  const out: Violation[] = [];
  const has = (resource: string, name: string) => api.peek(resource, NS, name) !== undefined;
  for (const e of api.peekAll(R.endpoint) as EndpointObj[]) {
    if (!ready(e) || e.metadata.deletionTimestamp) continue;
    const bad = (why: string) =>
      out.push({ invariant: 'readyEndpointsHaveValidReferences', detail: `${e.metadata.name}: ${why}` });
    const group = api.peek(R.group, NS, e.spec.groupRef);
    if (!group || group.metadata.deletionTimestamp) bad(`group ${e.spec.groupRef} does not exist`);
    const auth = e.spec.externalAuthConfigRef?.name;
    if (auth) {
      const cfg = api.peek(R.authConfig, NS, auth);
      if (!cfg) bad(`auth config ${auth} does not exist`);
      else if (
        (e.spec.type ?? 'proxy') === 'direct' &&
        ['awsSts', 'embeddedAuthServer'].includes((cfg.spec as { type: string }).type)
      ) {
        bad(`auth config ${auth} has a type direct mode does not support`);
      }
    }
    const tools = e.spec.toolConfigRef?.name;
    if (tools && !has(R.toolConfig, tools)) bad(`tool config ${tools} does not exist`);
    const ca = e.spec.caBundleRef;
    if (ca) {
      const cm = api.peek(R.configMap, NS, ca.name) as (KubeObject & { data?: Record<string, string> }) | undefined;
      const pem = cm?.data?.[ca.key ?? 'ca.crt'];
      if (!pem?.includes('-----BEGIN CERTIFICATE-----')) bad(`CA bundle ${ca.name} missing or not PEM`);
    }
    for (const h of e.spec.headerForward?.addHeadersFromSecret ?? []) {
      if (!has(R.secret, h.valueSecretRef.name)) bad(`header Secret ${h.valueSecretRef.name} does not exist`);
    }
  }
  return out;
}

/** After convergence: each group's status lists exactly its member endpoints, sorted. */
export function checkGroupMembership(api: FakeApiServer): Violation[] {
  const out: Violation[] = [];
  const endpoints = api.peekAll(R.endpoint) as EndpointObj[];
  for (const g of api.peekAll(R.group)) {
    if (g.metadata.deletionTimestamp) continue;
    const want = endpoints
      .filter((e) => e.spec.groupRef === g.metadata.name && !e.metadata.deletionTimestamp)
      .map((e) => e.metadata.name)
      .sort();
    const got = (g.status as { remoteEndpoints?: string[] } | undefined)?.remoteEndpoints ?? [];
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      out.push({
        invariant: 'groupStatusListsMembers',
        detail: `${g.metadata.name}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`,
      });
    }
  }
  return out;
}

/** No log line carries a secret value. */
export function checkLogs(lines: string[], secrets: string[]): Violation[] {
  const out: Violation[] = [];
  for (const line of lines) {
    for (const s of secrets) {
      if (line.includes(s))
        out.push({ invariant: 'noSecretInLogs', detail: `log line contains a secret: ${line.slice(0, 200)}` });
    }
  }
  return out;
}
