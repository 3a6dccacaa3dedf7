// The rendered gateway config is exactly what `mcpre gateway --config` accepts, in both discovery modes, and a
// setting the gateway would refuse becomes a reason instead of a ConfigMap.
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseGatewayConfig } from '../../../src/api/gateway/config-text.ts';
import { renderGatewayConfig } from '../../../src/api/vmcp/config.ts';
import { CA_PEM, configMap, direct, NS, proxy, snapshot, toolConfig, vmcp } from './fixtures.ts';

const group = [direct('search', { caBundleRef: { name: 'ca' } }), proxy('wiki', 'http://wiki.svc:8080/mcp')];
const refs = { configMaps: [configMap('ca', { 'ca.crt': CA_PEM })] };

describe('renderGatewayConfig', () => {
  it('inline: lists every backend with its type, a Lease for the direct one, and parses with the gateway schema', () => {
    const result = renderGatewayConfig(snapshot(vmcp('gw'), group, refs));
    if (!result.ok) throw new Error(result.message);
    const { yaml, config } = result.rendered;
    expect(yaml.startsWith('# Written by the mcpre operator')).toBe(true);
    expect(parseGatewayConfig(yaml)).toEqual(config);
    const raw = parseYaml(yaml);
    expect(raw.backends).toEqual([
      {
        name: 'search',
        type: 'direct',
        url: 'https://search.example.com/mcp',
        transport: 'streamable-http',
        caBundlePath: '/etc/toolhive/ca-bundles/search/ca.crt',
      },
      { name: 'wiki', type: 'proxy', url: 'http://wiki.svc:8080/mcp', transport: 'streamable-http' },
    ]);
    expect(raw.lease).toEqual({ name: 'vmcp-gw', namespace: NS });
    expect(raw.incomingAuth).toEqual({ type: 'anonymous' });
    expect(result.rendered.directEndpoints).toEqual(['search']);
  });

  it('is byte-for-byte deterministic, whatever order the members arrive in', () => {
    const a = renderGatewayConfig(snapshot(vmcp('gw'), group, refs));
    const b = renderGatewayConfig(snapshot(vmcp('gw'), [...group].reverse(), refs));
    expect(a.ok && b.ok && a.rendered.yaml === b.rendered.yaml).toBe(true);
  });

  it('has no Lease when the group has no direct endpoint, and maps OIDC settings', () => {
    const v = vmcp('gw', {
      incomingAuth: {
        type: 'oidc',
        oidc: { issuer: 'https://idp.example.com', audience: 'gw', clockToleranceSeconds: 5 },
      },
    });
    const result = renderGatewayConfig(snapshot(v, [proxy('wiki', 'http://wiki.svc:8080/mcp')]));
    if (!result.ok) throw new Error(result.message);
    expect(result.rendered.config.lease).toBeUndefined();
    expect(result.rendered.config.incomingAuth).toEqual({
      type: 'oidc',
      issuer: 'https://idp.example.com',
      audience: 'gw',
      clockToleranceSeconds: 5,
    });
  });

  it('maps priorityOrder and tools to backend names, dropping endpoints that are not in the config', () => {
    const v = vmcp('gw', {
      aggregation: {
        conflictResolution: 'priority',
        conflictResolutionConfig: { priorityOrder: ['wiki', 'pending', 'search'] },
        tools: [{ backend: 'search', toolConfigRef: { name: 'tc' } }],
      },
    });
    const result = renderGatewayConfig(
      snapshot(v, [...group, proxy('pending', undefined)], {
        ...refs,
        toolConfigs: [toolConfig('tc', { toolsFilter: ['whoami'] })],
      }),
    );
    if (!result.ok) throw new Error(result.message);
    expect(result.rendered.config.aggregation).toEqual({
      conflictResolution: 'priority',
      conflictResolutionConfig: { prefixFormat: '{backend}_', priorityOrder: ['wiki', 'search'] },
      tools: [{ backend: 'search', filter: ['whoami'] }],
    });
  });

  it('reports, instead of writing, a config the gateway would refuse', () => {
    const v = vmcp('gw', { aggregation: { conflictResolution: 'priority' } });
    const result = renderGatewayConfig(snapshot(v, group, refs));
    if (result.ok) throw new Error('expected the config to be refused');
    expect(result.message).toContain('aggregation.conflictResolutionConfig.priorityOrder');
    expect(result.message).toContain('needs a non-empty priorityOrder');
    expect(result.directEndpoints).toEqual(['search']);
  });

  it('discovered: lists no backends (the gateway watches the group) but keeps the Lease and auth', () => {
    const v = vmcp('gw', { outgoingAuth: { source: 'discovered' } });
    const result = renderGatewayConfig(snapshot(v, group, refs));
    if (!result.ok) throw new Error(result.message);
    expect(result.rendered.mode).toBe('discovered');
    expect(result.rendered.config.backends).toEqual([]);
    expect(result.rendered.backends.secrets).toEqual([]);
    expect(result.rendered.config.lease?.name).toBe('vmcp-gw');
  });

  it('discovered: aggregation settings go by endpoint name, as the gateway names discovered backends', () => {
    const v = vmcp('gw', {
      outgoingAuth: { source: 'discovered' },
      aggregation: {
        conflictResolution: 'priority',
        conflictResolutionConfig: { priorityOrder: ['docs.internal'] },
        tools: [{ backend: 'docs.internal', excludeAll: true }],
      },
    });
    const result = renderGatewayConfig(snapshot(v, group, refs));
    if (!result.ok) throw new Error(result.message);
    expect(result.rendered.config.aggregation.conflictResolutionConfig.priorityOrder).toEqual(['docs.internal']);
    expect(result.rendered.config.aggregation.tools).toEqual([{ backend: 'docs.internal', excludeAll: true }]);
  });
});
