// The gateway's status reporter against an in-memory API: it writes only what changed, only while active, only its
// own fields, and maps backends to the group's endpoints.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeApi, KubeRequest } from '../../../src/actors/kube/kube-api.ts';
import type { GatewayBackendReport } from '../../../src/api/vmcp/backend-status.ts';
import { type StatusReporter, startStatusReporter } from '../../../src/gateway/vmcp-status-reporter.ts';
import { direct, NS, proxy, vmcp } from './fixtures.ts';

class FakeApi implements KubeApi {
  requests: KubeRequest[] = [];
  objects = new Map<string, Record<string, unknown>>();
  async request<T>(req: KubeRequest): Promise<T> {
    this.requests.push(req);
    if (req.method === 'GET' && req.path.endsWith('/virtualmcpservers/gw')) return this.objects.get('gw') as T;
    if (req.method === 'GET' && req.path.endsWith('/mcpremoteendpoints')) {
      return { items: [...this.objects.entries()].filter(([k]) => k !== 'gw').map(([, v]) => v) } as T;
    }
    if (req.method === 'PATCH') {
      const name = decodeURIComponent(req.path.split('/').at(-2) ?? '');
      const obj = this.objects.get(name) as { status?: Record<string, unknown> };
      const patch = (req.body as { status: Record<string, unknown> }).status;
      obj.status = { ...obj.status, ...patch };
      return obj as T;
    }
    throw new Error(`unexpected ${req.method} ${req.path}`);
  }
  writes = () => this.requests.filter((r) => r.method === 'PATCH');
}

let reporter: StatusReporter | undefined;
afterEach(async () => {
  await reporter?.stop();
});

function setUp(active = { value: true }) {
  const api = new FakeApi();
  api.objects.set('gw', vmcp('gw') as unknown as Record<string, unknown>);
  api.objects.set('search', direct('search') as unknown as Record<string, unknown>);
  api.objects.set('wiki', proxy('wiki', 'http://wiki.svc/mcp') as unknown as Record<string, unknown>);
  const other = direct('elsewhere');
  other.spec.groupRef = 'other-group';
  api.objects.set('elsewhere', other as unknown as Record<string, unknown>);
  const backends: GatewayBackendReport[] = [
    { name: 'search', type: 'direct', state: 'ready' },
    { name: 'wiki', type: 'proxy', state: 'connecting' },
  ];
  let t = 0;
  reporter = startStatusReporter({
    api,
    namespace: NS,
    vmcpName: 'gw',
    identity: 'pod-0',
    backends: () => backends,
    isActive: () => active.value,
    now: () => `2026-11-25T12:00:0${t++}Z`,
    intervalMs: 60_000,
    refreshMs: 60_000,
    logger: pino({ level: 'silent' }),
  });
  return { api, backends, active, reporter };
}

describe('status reporter', () => {
  it('writes the VirtualMCPServer backends and each member endpoint session, and nothing more until a change', async () => {
    const { api, backends, reporter } = setUp();
    await reporter.tick();
    expect(api.writes().map((r) => r.path.split('/').at(-2))).toEqual(['gw', 'search', 'wiki']);
    const gw = api.objects.get('gw') as { status: Record<string, unknown> };
    expect(gw.status).toMatchObject({ backendCount: 1, backendsReportedBy: 'pod-0' });
    expect(Object.keys(gw.status).sort()).toEqual(['backendCount', 'backends', 'backendsReportedBy']);
    const search = api.objects.get('search') as { status: { session: unknown; phase: string } };
    expect(search.status.session).toMatchObject({ state: 'Ready', circuit: 'Closed', reportedBy: 'pod-0' });
    expect(search.status.phase).toBe('Ready');

    await reporter.tick();
    expect(api.writes()).toHaveLength(3);
    expect(api.requests).toHaveLength(5);

    backends[1] = { name: 'wiki', type: 'proxy', state: 'ready' };
    await reporter.tick();
    expect(api.writes().map((r) => r.path.split('/').at(-2))).toEqual(['gw', 'search', 'wiki', 'gw', 'wiki']);
    expect((api.objects.get('gw') as { status: { backendCount: number } }).status.backendCount).toBe(2);
    expect(api.objects.get('elsewhere')).not.toHaveProperty('status.session');
  });

  it('writes the negotiated revision, a change of it alone, and clears it from the endpoint when the session is gone', async () => {
    const { api, backends, reporter } = setUp();
    backends[0] = { name: 'search', type: 'direct', state: 'ready', protocolVersion: '2025-11-25' };
    await reporter.tick();
    const search = () => (api.objects.get('search') as { status: { session: Record<string, unknown> } }).status.session;
    const gwBackend = () =>
      (api.objects.get('gw') as { status: { backends: Array<Record<string, unknown>> } }).status.backends[0];
    expect(search().protocolVersion).toBe('2025-11-25');
    expect(gwBackend()).toMatchObject({ name: 'search', protocolVersion: '2025-11-25' });
    const before = api.writes().length;

    backends[0] = { name: 'search', type: 'direct', state: 'ready', protocolVersion: '2026-07-28' };
    await reporter.tick();
    expect(api.writes()).toHaveLength(before + 2);
    expect(search().protocolVersion).toBe('2026-07-28');
    expect(gwBackend()).toMatchObject({ name: 'search', protocolVersion: '2026-07-28' });

    backends[0] = { name: 'search', type: 'direct', state: 'backoff', reason: 'connection refused' };
    await reporter.tick();
    // A merge patch keeps what it does not name: the endpoint's patch names the revision as null to remove it.
    const last = api.writes().at(-1);
    expect(last?.path.split('/').at(-2)).toBe('search');
    expect(last?.body).toMatchObject({ status: { session: { state: 'Backoff', protocolVersion: null } } });
    expect(gwBackend()).not.toHaveProperty('protocolVersion');
  });

  it('says nothing while the replica is on standby', async () => {
    const active = { value: false };
    const { api, reporter } = setUp(active);
    await reporter.tick();
    expect(api.requests).toEqual([]);
    active.value = true;
    await reporter.tick();
    expect(api.writes()).toHaveLength(3);
  });
});
