// The VirtualMCPServer examples render into a config the gateway accepts, over the other examples as their group
// (with the endpoints marked validated, as the endpoint reconciler would mark them).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { vmcpSnapshotFromCaches } from '../../../src/actors/kube/vmcp-observe.ts';
import type { Endpoint, KubeObject, SecretKeys } from '../../../src/api/endpoint/model.ts';
import { planVmcp } from '../../../src/api/vmcp/decision.ts';
import type { VirtualMCPServer } from '../../../src/api/vmcp/model.ts';

const dir = resolve(import.meta.dirname, '../../../examples');
const docs = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as KubeObject & Record<string, never>),
  );
const of = (kind: string) => docs.filter((d) => d.kind === kind);
const find = (kind: string, name: string) => of(kind).find((d) => d.metadata.name === name);

/** What each discovery mode's example renders. */
const rendered: Record<string, { skipped: string[]; backends: string[]; tools: object[] }> = {
  // The example CA bundle is a placeholder, so the endpoint that needs it is left out with that reason.
  inline: {
    skipped: ['internal-search'],
    backends: ['context7', 'internal-api-mcp'],
    tools: [{ backend: 'context7', filter: ['resolve-library-id', 'get-library-docs'] }],
  },
  // The gateway discovers the group's backends itself: the config lists none.
  discovered: { skipped: [], backends: [], tools: [] },
};

describe('VirtualMCPServer examples', () => {
  const servers = of('VirtualMCPServer') as unknown as VirtualMCPServer[];

  it('exist for both discovery modes', () => {
    expect(servers.map((s) => s.spec.outgoingAuth?.source ?? 'inline').sort()).toEqual(['discovered', 'inline']);
  });

  it.each(servers.map((s) => [s.metadata.name, s] as const))(
    '%s renders into a config the gateway accepts',
    (_n, s) => {
      const endpoints = (of('MCPRemoteEndpoint') as unknown as Endpoint[]).map((e) => ({
        ...e,
        metadata: { ...e.metadata, namespace: 'ns' },
        status: {
          phase: 'Ready' as const,
          url: e.spec.type === 'direct' ? e.spec.remoteURL : `http://mcpre-${e.metadata.name}.ns.svc:8080/mcp`,
        },
      }));
      const v = { ...s, metadata: { ...s.metadata, namespace: 'ns', uid: 'u' } };
      const snapshot = vmcpSnapshotFromCaches(
        {
          vmcp: () => v,
          group: (_ns, name) => find('MCPGroup', name),
          groupMembers: (_ns, g) => endpoints.filter((e) => e.spec.groupRef === g),
          authConfig: (_ns, name) => find('MCPExternalAuthConfig', name) as never,
          toolConfig: (_ns, name) => find('MCPToolConfig', name),
          configMap: (_ns, name) => find('ConfigMap', name),
          secret: (_ns, name) => {
            const secret = find('Secret', name) as (KubeObject & { stringData?: object }) | undefined;
            return secret
              ? ({ metadata: secret.metadata, keys: Object.keys(secret.stringData ?? {}) } as SecretKeys)
              : undefined;
          },
          owned: () => undefined,
          offerVmcp: () => undefined,
        },
        v,
        '2026-11-25T12:00:00Z',
      );
      const plan = planVmcp(snapshot, { image: 'mcpre:test' });
      if (plan.kind !== 'apply') throw new Error(`${plan.kind}: ${'message' in plan ? plan.message : ''}`);
      expect(plan.apply).toHaveLength(6);
      const mode = s.spec.outgoingAuth?.source ?? 'inline';
      expect(plan.rendered.mode).toBe(mode);
      expect({
        skipped: plan.rendered.backends.skipped.map((x) => x.endpoint),
        backends: plan.rendered.config.backends.map((b) => b.name),
        tools: plan.rendered.config.aggregation.tools.map((t) => ({ backend: t.backend, filter: t.filter })),
      }).toEqual(rendered[mode]);
    },
  );
});
