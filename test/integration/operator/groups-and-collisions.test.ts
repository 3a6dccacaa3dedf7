// MCPGroup membership status (remoteEndpoints sorted, remoteEndpointCount), deleting a group, and NameCollision with
// ToolHive's MCPServer / MCPRemoteProxy, on a control plane that has the (test-only) ToolHive CRDs installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operator } from '../../../src/controllers/endpoint/operator.ts';
import {
  condition,
  directSpec,
  type Env,
  endpointBody,
  eventually,
  groupBody,
  R,
  startEnv,
  waitForEndpoint,
  waitForEvents,
} from './harness.ts';

let env: Env;
let op: Operator;
beforeAll(async () => {
  env = await startEnv({ toolhiveCrds: true });
  op = await env.operator();
});
afterAll(async () => env?.stop());

async function groupMembers(ns: string, name: string, expected: string[]) {
  return eventually(`group ${name} members ${expected.join(',')}`, async () => {
    const g = await env.kube.get(R.group, ns, name);
    const s = g.status ?? {};
    return JSON.stringify(s.remoteEndpoints ?? []) === JSON.stringify(expected) &&
      s.remoteEndpointCount === expected.length
      ? g
      : undefined;
  });
}

const toolhive = (kind: 'MCPServer' | 'MCPRemoteProxy', name: string) => ({
  apiVersion: 'toolhive.stacklok.dev/v1alpha1',
  kind,
  metadata: { name },
  spec: {},
});

describe('MCPGroup membership', () => {
  it('lists member endpoints sorted, as they join, move between groups and leave', async () => {
    const ns = await env.cp.namespace('groups');
    await env.kube.create(R.group, ns, groupBody('g'));
    await env.kube.create(R.group, ns, groupBody('h'));
    for (const name of ['charlie', 'alpha', 'bravo']) {
      await env.kube.create(R.endpoint, ns, endpointBody(name, directSpec({ groupRef: 'g' })));
    }
    const g = await groupMembers(ns, 'g', ['alpha', 'bravo', 'charlie']);
    expect(g.status.phase).toBe('Ready');
    await groupMembers(ns, 'h', []);

    await env.kube.mergePatch(R.endpoint, ns, 'bravo', { spec: { groupRef: 'h' } });
    await groupMembers(ns, 'g', ['alpha', 'charlie']);
    await groupMembers(ns, 'h', ['bravo']);

    await env.kube.delete(R.endpoint, ns, 'alpha');
    await groupMembers(ns, 'g', ['charlie']);
  });

  it('a group created after its endpoints gets their names at once', async () => {
    const ns = await env.cp.namespace('late-group');
    await env.kube.create(R.endpoint, ns, endpointBody('one', directSpec({ groupRef: 'later' })));
    await env.kube.create(R.endpoint, ns, endpointBody('two', directSpec({ groupRef: 'later' })));
    await waitForEndpoint(env, ns, 'two', 'Failed', (e) => e.status?.phase === 'Failed');
    await env.kube.create(R.group, ns, groupBody('later'));
    await groupMembers(ns, 'later', ['one', 'two']);
    await waitForEndpoint(env, ns, 'one', 'Ready', (e) => e.status?.phase === 'Ready');
  });

  it('deleting a group turns its endpoints GroupRefValid=False and their phase Failed', async () => {
    const ns = await env.cp.namespace('del-group');
    await env.kube.create(R.group, ns, groupBody('doomed'));
    await env.kube.create(R.endpoint, ns, endpointBody('member', directSpec({ groupRef: 'doomed' })));
    await waitForEndpoint(env, ns, 'member', 'Ready', (e) => e.status?.phase === 'Ready');
    await env.kube.delete(R.group, ns, 'doomed');
    const e = await waitForEndpoint(env, ns, 'member', 'Failed', (x) => x.status?.phase === 'Failed');
    expect(condition(e, 'GroupRefValid')).toMatchObject({ status: 'False', reason: 'GroupNotFound' });
    expect(e.status.url).toBeUndefined();
    await waitForEvents(env, ns, 'member', ['Ready', 'GroupNotFound', 'NotReady']);
  });
});

describe('NameCollision', () => {
  it('an MCPServer of the same name (existing first) blocks the endpoint until it is removed', async () => {
    const ns = await env.cp.namespace('collide');
    expect(op.informers.mcpServers.absent).toBe(false);
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.mcpServer, ns, toolhive('MCPServer', 'fetch'));
    await env.kube.create(R.endpoint, ns, endpointBody('fetch', directSpec()));
    const e = await waitForEndpoint(env, ns, 'fetch', 'Failed', (x) => x.status?.phase === 'Failed');
    expect(condition(e, 'ConfigurationValid')).toMatchObject({ status: 'False', reason: 'NameCollision' });
    expect(condition(e, 'ConfigurationValid').message).toContain('MCPServer named "fetch"');
    await waitForEvents(env, ns, 'fetch', ['NameCollision']);
    await env.kube.delete(R.mcpServer, ns, 'fetch');
    await waitForEndpoint(env, ns, 'fetch', 'Ready', (x) => x.status?.phase === 'Ready');
  });

  it('an MCPRemoteProxy created after the endpoint is noticed at once', async () => {
    const ns = await env.cp.namespace('collide-late');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.endpoint, ns, endpointBody('search', directSpec()));
    await waitForEndpoint(env, ns, 'search', 'Ready', (x) => x.status?.phase === 'Ready');
    await env.kube.create(R.mcpRemoteProxy, ns, toolhive('MCPRemoteProxy', 'search'));
    const e = await waitForEndpoint(env, ns, 'search', 'Failed', (x) => x.status?.phase === 'Failed');
    expect(condition(e, 'ConfigurationValid')).toMatchObject({ status: 'False', reason: 'NameCollision' });
  });
});
