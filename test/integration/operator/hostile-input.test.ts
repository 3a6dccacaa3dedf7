// The operator on the real API server, facing endpoints no gateway could serve: a toolConfigRef to an MCPToolConfig
// that does not exist (the gateway and the proxy pod refuse to serve it, so Ready would be a lie), and URLs that
// today's CRD refuses but an older CRD stored. Each gets Failed with a condition that says why; the MCPToolConfig
// appearing (or going) wakes exactly the endpoints that reference it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_TOOL_CONFIG } from '../../../src/api/resources.ts';
import { type EndpointCrdVersions, endpointCrdVersions } from '../../support/endpoint-crd-versions.ts';
import {
  condition,
  directSpec,
  type Env,
  endpointBody,
  groupBody,
  R,
  startEnv,
  waitForEndpoint,
  waitForEvents,
} from './harness.ts';

const isPhase = (phase: string) => (e: { status?: { phase?: string } }) => e.status?.phase === phase;

const toolConfig = (name: string) => ({
  apiVersion: 'toolhive.stacklok.dev/v1alpha1',
  kind: 'MCPToolConfig',
  metadata: { name },
  spec: { toolsFilter: ['search'] },
});

describe('operator: endpoints no gateway could serve', () => {
  let env: Env;

  beforeAll(async () => {
    env = await startEnv();
    await env.operator();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('a toolConfigRef to a missing MCPToolConfig is Failed ToolConfigNotFound, and Ready once it exists', async () => {
    const ns = await env.cp.namespace('toolcfg');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(
      R.endpoint,
      ns,
      endpointBody('filtered', directSpec({ toolConfigRef: { name: 'read-only' } })),
    );
    await env.kube.create(R.endpoint, ns, endpointBody('plain', directSpec()));

    const failed = await waitForEndpoint(env, ns, 'filtered', 'Failed', isPhase('Failed'));
    expect(condition(failed, 'ToolConfigValid')).toMatchObject({ status: 'False', reason: 'ToolConfigNotFound' });
    expect(condition(failed, 'ToolConfigValid').message).toContain(
      'MCPToolConfig "read-only" (spec.toolConfigRef) does not exist in this namespace',
    );
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'ToolConfigNotFound' });
    expect(condition(failed, 'ConfigurationValid')).toMatchObject({ status: 'False', reason: 'ToolConfigNotFound' });
    expect(failed.status.url).toBeUndefined();
    await waitForEvents(env, ns, 'filtered', ['ToolConfigNotFound']);
    await waitForEndpoint(env, ns, 'plain', 'Ready', isPhase('Ready'));

    // Creating the MCPToolConfig wakes the endpoint through the reference index: no spec change, no resync needed.
    await env.kube.create(MCP_TOOL_CONFIG, ns, toolConfig('read-only'));
    const ready = await waitForEndpoint(env, ns, 'filtered', 'Ready', isPhase('Ready'));
    expect(condition(ready, 'ToolConfigValid')).toMatchObject({ status: 'True', reason: 'ToolConfigFound' });
    expect(condition(ready, 'Ready')).toMatchObject({ status: 'True' });

    // And deleting it makes the endpoint Failed again.
    await env.kube.delete(MCP_TOOL_CONFIG, ns, 'read-only');
    const again = await waitForEndpoint(env, ns, 'filtered', 'Failed again', isPhase('Failed'));
    expect(condition(again, 'ToolConfigValid')).toMatchObject({ status: 'False', reason: 'ToolConfigNotFound' });
  });

  describe('URLs stored under an older CRD', () => {
    let crdVersions: EndpointCrdVersions;
    let ns: string;

    beforeAll(async () => {
      ns = await env.cp.namespace('stored-urls');
      crdVersions = await endpointCrdVersions(env.cp, env.kube, ns);
      await crdVersions.installOlder();
    });
    afterAll(async () => {
      await crdVersions?.installCurrent();
      await crdVersions?.close();
    });

    it('are Failed RemoteURLInvalid with the reason, never Ready, and a good endpoint beside them is Ready', async () => {
      await env.kube.create(R.group, ns, groupBody('engineering'));
      const urls: Record<string, [string, string]> = {
        'no-host': ['https://', 'has no host'],
        space: ['http://a b/', 'contains whitespace'],
        bracket: ['http://[::1', 'is not a host name'],
        'big-port': ['http://a:99999/', '"99999" as its port'],
        percent: ['https://%/', '"%" as its host'],
        creds: ['https://user:hunter2@mcp.example.com/mcp', 'carries credentials'],
      };
      for (const [name, [url]] of Object.entries(urls))
        await env.kube.create(R.endpoint, ns, endpointBody(name, directSpec({ remoteURL: url })));
      await env.kube.create(R.endpoint, ns, endpointBody('good', directSpec()));

      for (const [name, [, words]] of Object.entries(urls)) {
        const e = await waitForEndpoint(env, ns, name, 'Failed', isPhase('Failed'));
        expect(condition(e, 'ConfigurationValid')).toMatchObject({ status: 'False', reason: 'RemoteURLInvalid' });
        expect(condition(e, 'ConfigurationValid').message).toMatch(/^spec\.remoteURL /);
        expect(condition(e, 'ConfigurationValid').message).toContain(words);
        expect(condition(e, 'Ready')).toMatchObject({ status: 'False', reason: 'RemoteURLInvalid' });
        expect(e.status.url).toBeUndefined();
        expect(JSON.stringify(e.status)).not.toContain('hunter2');
      }
      const events = await waitForEvents(env, ns, 'creds', ['RemoteURLInvalid']);
      expect(JSON.stringify(events)).not.toContain('hunter2');
      await waitForEndpoint(env, ns, 'good', 'Ready', isPhase('Ready'));
    });
  });
});
