// Every manifest in examples/ is accepted by the real API server as written, the companion kinds (MCPGroup,
// MCPToolConfig) behave as the operator and gateway expect, and the test-only ToolHive CRDs install beside ours.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MCP_GROUP,
  MCP_REMOTE_ENDPOINT,
  MCP_TOOL_CONFIG,
  TOOLHIVE_MCP_REMOTE_PROXY,
  TOOLHIVE_MCP_SERVER,
} from '../../../src/api/resources.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';
import { useControlPlane } from '../../support/control-plane-suite.ts';
import { rejection } from '../../support/kube-objects.ts';

const api = useControlPlane({ crdDirs: ['crds', 'test/crds/toolhive'] });

const examplesDir = join(REPO_ROOT, 'examples');
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('examples/', () => {
  it('has the examples the docs promise', () => {
    expect(examples).toEqual(
      expect.arrayContaining([
        'mcpremoteendpoint-direct-public.yaml',
        'mcpremoteendpoint-direct-header-secret.yaml',
        'mcpremoteendpoint-proxy.yaml',
        'mcpgroup.yaml',
        'mcpexternalauthconfig-token-exchange.yaml',
        'mcpexternalauthconfig-header-injection.yaml',
      ]),
    );
  });

  it.each(examples)('%s is accepted unchanged (apart from defaults)', async (file) => {
    const ns = await api.cp.namespace('example');
    const created = await api.k.applyManifest(readFileSync(join(examplesDir, file), 'utf8'), ns);
    expect(created.length).toBeGreaterThan(0);
    for (const obj of created) expect(obj.metadata.namespace).toBe(ns);
  });

  it('applies all examples together in one namespace (the names they reference line up)', async () => {
    const ns = await api.cp.namespace('examples-all');
    for (const file of examples) await api.k.applyManifest(readFileSync(join(examplesDir, file), 'utf8'), ns);
    const proxy = await api.k.get(MCP_REMOTE_ENDPOINT, ns, 'internal-api-mcp');
    expect(proxy.spec.proxyConfig).toMatchObject({
      proxyPort: 8080,
      sessionAffinity: 'ClientIP',
      trustProxyHeaders: false,
    });
    const direct = await api.k.get(MCP_REMOTE_ENDPOINT, ns, 'internal-search');
    expect(direct.spec.caBundleRef).toEqual({ name: 'internal-ca-bundle', key: 'ca.crt' });
    expect(direct.spec.groupRef).toBe('engineering-team');
    await expect(api.k.get(MCP_GROUP, ns, 'engineering-team')).resolves.toBeDefined();
  });
});

describe('MCPGroup', () => {
  it('takes the member lists and counts through the status subresource, and rejects an unknown phase', async () => {
    const ns = await api.cp.namespace('group');
    await api.k.create(MCP_GROUP, ns, {
      apiVersion: 'toolhive.stacklok.dev/v1alpha1',
      kind: 'MCPGroup',
      metadata: { name: 'team' },
      spec: { description: 'x' },
    });
    const updated = await api.k.mergePatchStatus(MCP_GROUP, ns, 'team', {
      status: { phase: 'Ready', remoteEndpoints: ['a', 'b'], remoteEndpointCount: 2, observedGeneration: 1 },
    });
    expect(updated.status).toMatchObject({ phase: 'Ready', remoteEndpoints: ['a', 'b'], remoteEndpointCount: 2 });
    const dup = await rejection(
      api.k.mergePatchStatus(MCP_GROUP, ns, 'team', { status: { remoteEndpoints: ['a', 'a'] } }),
    );
    expect(dup.message).toContain('status.remoteEndpoints[1]: Duplicate value');
    const phase = await rejection(api.k.mergePatchStatus(MCP_GROUP, ns, 'team', { status: { phase: 'Degraded' } }));
    expect(phase.message).toContain('status.phase: Unsupported value: "Degraded"');
    const table = await api.k.table(MCP_GROUP, ns, 'team');
    expect(table.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Phase',
      'Endpoints',
      'Servers',
      'Proxies',
      'Age',
    ]);
    expect(table.rows[0]?.cells.slice(0, 3)).toEqual(['team', 'Ready', 2]);
  });
});

describe('MCPToolConfig', () => {
  it('rejects a duplicate tool in toolsFilter and an empty override name', async () => {
    const ns = await api.cp.namespace('toolconfig');
    const base = { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPToolConfig' };
    const dup = await rejection(
      api.k.create(MCP_TOOL_CONFIG, ns, { ...base, metadata: { name: 'dup' }, spec: { toolsFilter: ['a', 'a'] } }),
    );
    expect(dup.message).toContain('spec.toolsFilter[1]: Duplicate value');
    const empty = await rejection(
      api.k.create(MCP_TOOL_CONFIG, ns, {
        ...base,
        metadata: { name: 'empty' },
        spec: { toolsOverride: { a: { name: '' } } },
      }),
    );
    expect(empty.message).toContain('spec.toolsOverride.a.name');
  });
});

describe('test-only ToolHive CRDs', () => {
  it('serves MCPServer and MCPRemoteProxy beside MCPRemoteEndpoint, so a same-name object can exist', async () => {
    const ns = await api.cp.namespace('toolhive');
    const gv = 'toolhive.stacklok.dev/v1alpha1';
    await api.k.create(TOOLHIVE_MCP_SERVER, ns, {
      apiVersion: gv,
      kind: 'MCPServer',
      metadata: { name: 'same' },
      spec: { image: 'x' },
    });
    await api.k.create(TOOLHIVE_MCP_REMOTE_PROXY, ns, {
      apiVersion: gv,
      kind: 'MCPRemoteProxy',
      metadata: { name: 'same' },
      spec: { remoteURL: 'https://x.example.com' },
    });
    const endpoint = await api.k.create(MCP_REMOTE_ENDPOINT, ns, {
      apiVersion: gv,
      kind: 'MCPRemoteEndpoint',
      metadata: { name: 'same' },
      spec: { type: 'direct', remoteURL: 'https://x.example.com', transport: 'sse', groupRef: 'g' },
    });
    expect(endpoint.metadata.name).toBe('same');
    expect((await api.k.get(TOOLHIVE_MCP_SERVER, ns, 'same')).spec).toEqual({ image: 'x' });
  });
});
