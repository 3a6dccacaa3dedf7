// MCPRemoteEndpoint's status subresource and printer columns on a real kube-apiserver: spec writes leave status
// alone and status writes leave spec alone, generation follows spec only, and the Table output (what `kubectl get
// mcpre` prints) has the RFC's columns in order.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MCP_REMOTE_ENDPOINT as MCPRE } from '../../../src/api/resources.ts';
import { useControlPlane } from '../../support/control-plane-suite.ts';
import { eventually } from '../../support/eventually.ts';
import { rejection } from '../../support/kube-objects.ts';
import { directEndpoint, proxyEndpoint } from './fixtures.ts';

const api = useControlPlane({ namespace: 'mcpre-subresources' });

const readyStatus = (url: string, generation: number) => ({
  status: {
    phase: 'Ready',
    url,
    observedGeneration: generation,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'EndpointReady',
        message: 'remote URL validated',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: generation,
      },
    ],
  },
});

describe('status subresource', () => {
  it('ignores status in a create and in a spec update', async () => {
    const created = await api.k.create(MCPRE, api.ns, { ...directEndpoint('spec-only'), status: { phase: 'Ready' } });
    expect(created.status).toBeUndefined();
    const patched = await api.k.mergePatch(MCPRE, api.ns, 'spec-only', {
      spec: { transport: 'sse' },
      status: { phase: 'Failed' },
    });
    expect(patched.spec.transport).toBe('sse');
    expect(patched.status).toBeUndefined();
  });

  it('a spec update does not touch an existing status', async () => {
    const created = await api.k.create(MCPRE, api.ns, directEndpoint('keeps-status'));
    await api.k.mergePatchStatus(MCPRE, api.ns, 'keeps-status', readyStatus('https://mcp.example.com/mcp', 1));
    const patched = await api.k.mergePatch(MCPRE, api.ns, 'keeps-status', {
      spec: { remoteURL: 'https://moved.example.com/mcp' },
      status: { phase: 'Failed', url: 'https://wrong.example.com' },
    });
    expect(patched.spec.remoteURL).toBe('https://moved.example.com/mcp');
    expect(patched.status).toEqual(readyStatus('https://mcp.example.com/mcp', 1).status);
    expect(patched.metadata.generation).toBe((created.metadata.generation ?? 0) + 1);
  });

  it('a status update does not touch spec or generation', async () => {
    const created = await api.k.create(MCPRE, api.ns, directEndpoint('status-only'));
    const updated = await api.k.mergePatchStatus(MCPRE, api.ns, 'status-only', {
      ...readyStatus('https://mcp.example.com/mcp', 1),
      spec: { remoteURL: 'https://sneaky.example.com', type: 'proxy' },
    });
    expect(updated.status.phase).toBe('Ready');
    expect(updated.status.url).toBe('https://mcp.example.com/mcp');
    expect(updated.spec).toEqual(created.spec);
    expect(updated.metadata.generation).toBe(created.metadata.generation);
    expect(updated.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
  });

  it('bumps generation on each spec change only', async () => {
    const created = await api.k.create(MCPRE, api.ns, directEndpoint('generation'));
    expect(created.metadata.generation).toBe(1);
    const afterStatus = await api.k.mergePatchStatus(MCPRE, api.ns, 'generation', { status: { phase: 'Pending' } });
    expect(afterStatus.metadata.generation).toBe(1);
    const afterLabel = await api.k.mergePatch(MCPRE, api.ns, 'generation', { metadata: { labels: { team: 'a' } } });
    expect(afterLabel.metadata.generation).toBe(1);
    const afterSpec = await api.k.mergePatch(MCPRE, api.ns, 'generation', { spec: { groupRef: 'other' } });
    expect(afterSpec.metadata.generation).toBe(2);
    const afterSameSpec = await api.k.mergePatch(MCPRE, api.ns, 'generation', { spec: { groupRef: 'other' } });
    expect(afterSameSpec.metadata.generation).toBe(2);
  });

  it('validates status writes against the schema (phase enum, condition shape)', async () => {
    await api.k.create(MCPRE, api.ns, directEndpoint('bad-status'));
    const phase = await rejection(
      api.k.mergePatchStatus(MCPRE, api.ns, 'bad-status', { status: { phase: 'Exploded' } }),
    );
    expect(phase.message).toContain('status.phase: Unsupported value: "Exploded"');
    const condition = await rejection(
      api.k.mergePatchStatus(MCPRE, api.ns, 'bad-status', {
        status: { conditions: [{ type: 'Ready', status: 'Yes' }] },
      }),
    );
    expect(condition.message).toContain('status.conditions[0].status: Unsupported value: "Yes"');
    expect(condition.message).toContain('status.conditions[0].reason: Required value');
  });

  it('stores the gateway-reported session state next to the operator fields', async () => {
    await api.k.create(MCPRE, api.ns, directEndpoint('session'));
    await api.k.mergePatchStatus(MCPRE, api.ns, 'session', readyStatus('https://mcp.example.com/mcp', 1));
    const updated = await api.k.mergePatchStatus(MCPRE, api.ns, 'session', {
      status: {
        session: {
          state: 'Backoff',
          circuit: 'Closed',
          lastTransitionTime: '2026-01-01T00:00:05Z',
          message: 'GET stream dropped; retry 2 in 2s',
          reportedBy: 'vmcp-engineering',
        },
      },
    });
    expect(updated.status.phase).toBe('Ready');
    expect(updated.status.session).toMatchObject({ state: 'Backoff', circuit: 'Closed' });
    const badCircuit = await rejection(
      api.k.mergePatchStatus(MCPRE, api.ns, 'session', { status: { session: { circuit: 'Ajar' } } }),
    );
    expect(badCircuit.message).toContain('status.session.circuit: Unsupported value: "Ajar"');
  });

  it('stores the negotiated protocol revision, and a session patch naming it null removes it', async () => {
    await api.k.create(MCPRE, api.ns, directEndpoint('revision'));
    const ready = await api.k.mergePatchStatus(MCPRE, api.ns, 'revision', {
      status: { session: { state: 'Ready', circuit: 'Closed', protocolVersion: '2026-07-28' } },
    });
    expect(ready.status.session.protocolVersion).toBe('2026-07-28');
    // What the gateway's writer sends when the session is no longer ready (src/actors/kube/vmcp-report-status.ts).
    const gone = await api.k.mergePatchStatus(MCPRE, api.ns, 'revision', {
      status: { session: { message: null, protocolVersion: null, state: 'Backoff', circuit: 'Closed' } },
    });
    expect(gone.status.session).toEqual({ state: 'Backoff', circuit: 'Closed' });
  });
});

describe('printer columns (server-side Table output)', () => {
  it('lists Name, then Type, Phase, Remote URL, URL, Age in order, then Session', async () => {
    await api.k.create(MCPRE, api.ns, directEndpoint('columns'));
    const table = await api.k.table(MCPRE, api.ns, 'columns');
    expect(table.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Type',
      'Phase',
      'Remote URL',
      'URL',
      'Age',
      'Session',
    ]);
    expect(table.columnDefinitions.find((c) => c.name === 'Age')?.type).toBe('date');
  });

  it('fills the cells from spec and status', async () => {
    await api.k.create(MCPRE, api.ns, proxyEndpoint('cells', { remoteURL: 'https://remote.example.com/mcp' }));
    const before = await api.k.table(MCPRE, api.ns, 'cells');
    expect(before.rows[0]?.cells.slice(0, 5)).toEqual(['cells', 'proxy', null, 'https://remote.example.com/mcp', null]);

    const serviceURL = `http://cells.${api.ns}.svc.cluster.local:8080`;
    await api.k.mergePatchStatus(MCPRE, api.ns, 'cells', {
      ...readyStatus(serviceURL, 1),
      status: { ...readyStatus(serviceURL, 1).status, session: { state: 'Ready', circuit: 'Closed' } },
    });
    const after = await api.k.table(MCPRE, api.ns, 'cells');
    const cells = after.rows[0]?.cells ?? [];
    expect(cells.slice(0, 5)).toEqual(['cells', 'proxy', 'Ready', 'https://remote.example.com/mcp', serviceURL]);
    expect(typeof cells[5]).toBe('string'); // Age, e.g. "0s"
    expect(cells[6]).toBe('Ready');
  });
});

describe('kubectl explain', () => {
  it('shows the field descriptions from the CRD (published OpenAPI)', async (ctx) => {
    const kubectl = api.cp.running.binaries.kubectl;
    if (kubectl === undefined) ctx.skip('no kubectl in KUBEBUILDER_ASSETS');
    const run = () =>
      promisify(execFile)(kubectl!, ['--kubeconfig', api.cp.kubeconfigPath, 'explain', 'mcpre.spec.type'], {
        timeout: 20_000,
      });
    // The aggregated OpenAPI document picks up a new CRD a little after it is Established: bounded retry.
    const out = await eventually(
      'kubectl explain to show the CRD field descriptions',
      async () => {
        const { stdout } = await run();
        return stdout.includes('Immutable after creation') ? stdout : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(out).toContain('KIND:       MCPRemoteEndpoint');
    expect(out).toContain('Immutable after creation');
    expect(out).toContain('ENUM:');
  });
});
