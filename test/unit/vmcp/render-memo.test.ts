// The render memo answers with the last render of a VirtualMCPServer only while every input of the render is the same
// value: a change to any one of them (member spec, status.url, Failed, deletion, membership, a referenced object,
// the VirtualMCPServer's spec, the stored config) gives exactly what a fresh render gives.
import { describe, expect, it } from 'vitest';
import { renderGatewayConfig } from '../../../src/api/vmcp/config.ts';
import type { VirtualMCPServer } from '../../../src/api/vmcp/model.ts';
import { CONFIG_KEY } from '../../../src/api/vmcp/names.ts';
import { renderGatewayConfigMemo } from '../../../src/api/vmcp/render-memo.ts';
import type { VmcpSnapshot } from '../../../src/api/vmcp/snapshot.ts';
import { authConfig, CA_PEM, configMap, direct, proxy, secret, snapshot, toolConfig, vmcp } from './fixtures.ts';

const MEMORY = { provider: 'memory' } as const;

const withCa = direct('b', { caBundleRef: { name: 'ca' } });
const withAuth = direct('c', { externalAuthConfigRef: { name: 'key' } });
const withTools = direct('d', { toolConfigRef: { name: 'tc' } });
const refs = {
  configMaps: [configMap('ca', { 'ca.crt': CA_PEM })],
  authConfigs: [
    authConfig('key', {
      type: 'headerInjection',
      headerInjection: { headerName: 'X-Key', valueSecretRef: { name: 'key-secret', key: 'v' } },
    }),
  ],
  secrets: [secret('key-secret', ['v'])],
  toolConfigs: [toolConfig('tc', { toolsFilter: ['a'] })],
};
// q is a proxy without status.url: it stays in the config only if the stored config serves it.
const members = [
  direct('a'),
  withCa,
  withAuth,
  withTools,
  proxy('p', 'http://p.team-a.svc:8080'),
  proxy('q', undefined),
];
const vmcps = new Map<string, VirtualMCPServer>();
/** A fresh snapshot of the same cached objects (one VirtualMCPServer object per name, as a cache holds it). */
const base = (name: string) => {
  if (!vmcps.has(name)) vmcps.set(name, vmcp(name));
  return snapshot(vmcps.get(name)!, [...members], refs);
};

/** Each a snapshot that differs from base() in one input of the render. */
const changes: [string, (s: VmcpSnapshot) => void][] = [
  ['a member spec', (s) => (s.endpoints[0] = direct('a', { remoteURL: 'https://elsewhere.example.com/mcp' }))],
  [
    'a member status.url',
    (s) => (s.endpoints[4] = { ...s.endpoints[4]!, status: { phase: 'Ready', url: 'http://p2.team-a.svc:8080' } }),
  ],
  ['a member Failed', (s) => (s.endpoints[4] = { ...s.endpoints[4]!, status: { phase: 'Failed' } })],
  [
    'a member being deleted',
    (s) => (s.endpoints[0] = { ...s.endpoints[0]!, metadata: { ...s.endpoints[0]!.metadata, deletionTimestamp: 'x' } }),
  ],
  ['a member left', (s) => s.endpoints.splice(1, 1)],
  ['the CA bundle', (s) => (s.configMaps.ca = configMap('ca', { 'ca.crt': 'not a certificate' }))],
  ['the auth config', (s) => (s.authConfigs.key = null)],
  ['the Secret', (s) => (s.secrets['key-secret'] = secret('key-secret', ['other']))],
  ['the tool config', (s) => (s.toolConfigs.tc = toolConfig('tc', { toolsFilter: ['b'] }))],
  [
    'the VirtualMCPServer spec',
    (s) => (s.vmcp = vmcp(s.vmcp!.metadata.name, { aggregation: { conflictResolution: 'priority' } })),
  ],
  [
    'the stored config',
    (s) =>
      (s.owned.ConfigMap = configMap('cfg', {
        [CONFIG_KEY]: 'backends:\n  - name: q\n    type: proxy\n    url: http://q.team-a.svc:8080/mcp\n',
      })),
  ],
];

describe('renderGatewayConfigMemo', () => {
  it('answers with the last result while every input is the same value, even in a new snapshot', () => {
    const first = renderGatewayConfigMemo(base('same'), MEMORY);
    const again = base('same');
    again.now = '2030-01-01T00:00:00Z';
    expect(renderGatewayConfigMemo(again, MEMORY)).toBe(first);
    expect(first).toEqual(renderGatewayConfig(base('same')));
  });

  it.each(changes)('renders again when %s changed', (_what, change) => {
    const name = `v-${_what.replaceAll(' ', '-').replaceAll('.', '')}`;
    const before = renderGatewayConfigMemo(base(name), MEMORY);
    const changed = base(name);
    change(changed);
    const after = renderGatewayConfigMemo(changed, MEMORY);
    expect(after).toEqual(renderGatewayConfig(changed));
    expect(after).not.toEqual(before);
  });

  it('keeps VirtualMCPServers apart', () => {
    const a = renderGatewayConfigMemo(base('one'), MEMORY);
    const other = snapshot(vmcp('two'), [direct('z')], refs);
    expect(renderGatewayConfigMemo(other, MEMORY)).toEqual(renderGatewayConfig(other));
    expect(renderGatewayConfigMemo(base('one'), MEMORY)).toBe(a);
  });
});
