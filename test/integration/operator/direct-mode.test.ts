// Direct mode on a real kube-apiserver: every condition and reason of the RFC's direct path, references created after
// the endpoint, idempotency (an unchanged object keeps its resourceVersion), events, and bad input. The ToolHive CRDs
// are NOT installed here, so the NameCollision check must be skipped quietly.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operator } from '../../../src/controllers/endpoint/operator.ts';
import { until } from '../../support/eventually.ts';
import { selfSignedPem } from '../../unit/endpoint/fixtures.ts';
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
  waitUntilSettled,
} from './harness.ts';

let env: Env;
let op: Operator;
beforeAll(async () => {
  env = await startEnv();
  op = await env.operator();
});
afterAll(async () => env?.stop());

const isPhase = (phase: string) => (e: { status?: { phase?: string } }) => e.status?.phase === phase;
const writesOf = (ns: string, name: string) => op.stats.statusWritesByEndpoint.get(`${ns}/${name}`) ?? 0;

function authConfigBody(name: string, type: string, settings?: object): object {
  return {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPExternalAuthConfig',
    metadata: { name },
    spec: settings ? { type, [type]: settings } : { type },
  };
}

describe('direct mode', () => {
  it('validates and becomes Ready with url = remoteURL, exactly the RFC conditions, no finalizer, no objects', async () => {
    const ns = await env.cp.namespace('direct');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.endpoint, ns, endpointBody('context7', directSpec()));
    const e = await waitForEndpoint(env, ns, 'context7', 'Ready', isPhase('Ready'));
    expect(e.status.url).toBe('https://mcp.example.com/mcp');
    expect(e.status.observedGeneration).toBe(1);
    expect(e.status.conditions.map((c: { type: string }) => c.type).sort()).toEqual([
      'ConfigurationValid',
      'GroupRefValid',
      'Ready',
    ]);
    expect(condition(e, 'Ready')).toMatchObject({ status: 'True', reason: 'Validated', observedGeneration: 1 });
    expect(e.metadata.finalizers).toBeUndefined();
    const deployments = await env.http.request<{ items: unknown[] }>({
      method: 'GET',
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
    });
    expect(deployments.items).toHaveLength(0);
  });

  it('a second reconcile of an unchanged object writes nothing: resourceVersion stays', async () => {
    const ns = await env.cp.namespace('idem');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.endpoint, ns, endpointBody('stable', directSpec()));
    const ready = await waitForEndpoint(env, ns, 'stable', 'Ready', isPhase('Ready'));
    const rv = ready.metadata.resourceVersion;
    const writes = writesOf(ns, 'stable');
    // Wake it several ways: a change to its group, and an explicit look from the registry.
    await env.kube.mergePatch(R.group, ns, 'engineering', { metadata: { annotations: { touched: 'yes' } } });
    op.registry.wake(`${ns}/stable`);
    await waitUntilSettled(env, op, [
      ['group', ns, 'engineering'],
      ['endpoint', ns, 'stable'],
    ]);
    const again = await env.kube.get(R.endpoint, ns, 'stable');
    expect(again.metadata.resourceVersion).toBe(rv);
    expect(writesOf(ns, 'stable')).toBe(writes);
  });

  it('a spec change moves observedGeneration but not lastTransitionTime', async () => {
    const ns = await env.cp.namespace('gen');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.endpoint, ns, endpointBody('ctx', directSpec()));
    const first = await waitForEndpoint(env, ns, 'ctx', 'Ready', isPhase('Ready'));
    // A timestamp wrongly refreshed from here on would differ: the clock is past the recorded second.
    const since = Date.parse(condition(first, 'Ready').lastTransitionTime);
    await until("the clock to pass the Ready condition's second", () => Date.now() >= since + 1000, {
      timeoutMs: 3000,
    });
    await env.kube.mergePatch(R.endpoint, ns, 'ctx', { spec: { remoteURL: 'https://other.example.com/mcp' } });
    const second = await waitForEndpoint(
      env,
      ns,
      'ctx',
      'generation 2 observed',
      (o) => o.status?.observedGeneration === 2,
    );
    expect(second.status.url).toBe('https://other.example.com/mcp');
    expect(condition(second, 'Ready').lastTransitionTime).toBe(condition(first, 'Ready').lastTransitionTime);
    expect(condition(second, 'Ready').observedGeneration).toBe(2);
  });

  it('GroupNotFound, then the group is created: Ready in one status write, one Warning event, no event per reconcile', async () => {
    const ns = await env.cp.namespace('late-group');
    await env.kube.create(R.endpoint, ns, endpointBody('orphan', directSpec()));
    const failed = await waitForEndpoint(env, ns, 'orphan', 'Failed', isPhase('Failed'));
    expect(condition(failed, 'GroupRefValid')).toMatchObject({ status: 'False', reason: 'GroupNotFound' });
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'GroupNotFound' });
    expect(condition(failed, 'ConfigurationValid')).toMatchObject({ status: 'False', reason: 'GroupNotFound' });
    expect(failed.status.url).toBeUndefined();
    // More wake-ups while still failing: no new writes, no new events.
    op.registry.wake(`${ns}/orphan`);
    op.registry.wake(`${ns}/orphan`);
    await waitUntilSettled(env, op, [['endpoint', ns, 'orphan']]);
    const writesBefore = writesOf(ns, 'orphan');
    expect(writesBefore).toBe(1);

    await env.kube.create(R.group, ns, groupBody('engineering'));
    const ready = await waitForEndpoint(env, ns, 'orphan', 'Ready', isPhase('Ready'));
    expect(condition(ready, 'GroupRefValid')).toMatchObject({ status: 'True', reason: 'GroupFound' });
    expect(writesOf(ns, 'orphan')).toBe(writesBefore + 1);
    const events = await waitForEvents(env, ns, 'orphan', ['GroupNotFound', 'Ready']);
    expect(events.map((e) => `${e.type}/${e.reason}`).sort()).toEqual(['Normal/Ready', 'Warning/GroupNotFound']);
  });

  it('AuthConfigValid: not found, created later, and embeddedAuthServer / awsSts rejected for direct mode', async () => {
    const ns = await env.cp.namespace('auth');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(
      R.endpoint,
      ns,
      endpointBody('sf', directSpec({ externalAuthConfigRef: { name: 'sf-auth' } })),
    );
    const missing = await waitForEndpoint(env, ns, 'sf', 'Failed', isPhase('Failed'));
    expect(condition(missing, 'AuthConfigValid')).toMatchObject({ status: 'False', reason: 'AuthConfigNotFound' });

    await env.kube.create(
      R.authConfig,
      ns,
      authConfigBody('sf-auth', 'tokenExchange', { tokenUrl: 'https://sts.example.com/token', audience: 'sf' }),
    );
    const ok = await waitForEndpoint(env, ns, 'sf', 'Ready', isPhase('Ready'));
    expect(condition(ok, 'AuthConfigValid')).toMatchObject({ status: 'True', reason: 'AuthConfigFound' });

    await env.kube.create(R.authConfig, ns, authConfigBody('aws', 'awsSts', { region: 'us-east-1' }));
    await env.kube.create(
      R.authConfig,
      ns,
      authConfigBody('eas', 'embeddedAuthServer', {
        issuer: 'https://auth.example.com',
        upstreamProviders: [
          { name: 'okta', type: 'oidc', oidcConfig: { issuerUrl: 'https://okta.example.com', clientId: 'c' } },
        ],
      }),
    );
    for (const [name, ref] of [
      ['uses-aws', 'aws'],
      ['uses-eas', 'eas'],
    ] as const) {
      await env.kube.create(R.endpoint, ns, endpointBody(name, directSpec({ externalAuthConfigRef: { name: ref } })));
      const e = await waitForEndpoint(env, ns, name, 'Failed', isPhase('Failed'));
      expect(condition(e, 'AuthConfigValid')?.status).toBe('True');
      expect(condition(e, 'ConfigurationValid')).toMatchObject({
        status: 'False',
        reason: 'UnsupportedAuthTypeForDirectMode',
      });
      expect(condition(e, 'Ready')).toMatchObject({ status: 'False', reason: 'UnsupportedAuthTypeForDirectMode' });
      await waitForEvents(env, ns, name, ['UnsupportedAuthTypeForDirectMode']);
    }
  });

  it('CABundleValid: ConfigMap missing then created with PEM, key missing, not PEM', async () => {
    const pem = await selfSignedPem();
    const ns = await env.cp.namespace('ca');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(
      R.endpoint,
      ns,
      endpointBody('private', directSpec({ caBundleRef: { name: 'internal-ca' } })),
    );
    const missing = await waitForEndpoint(env, ns, 'private', 'Failed', isPhase('Failed'));
    expect(condition(missing, 'CABundleValid')).toMatchObject({ status: 'False', reason: 'CABundleNotFound' });

    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'internal-ca' }, data: { 'ca.crt': pem } };
    await env.kube.create(R.configMap, ns, cm);
    const ok = await waitForEndpoint(env, ns, 'private', 'Ready', isPhase('Ready'));
    expect(condition(ok, 'CABundleValid')).toMatchObject({ status: 'True', reason: 'CABundleValid' });

    // The ConfigMap loses its certificate: the same endpoint flips back, with an actionable message.
    await env.kube.replace(R.configMap, ns, 'internal-ca', { ...cm, data: { 'ca.crt': 'hello, not a certificate' } });
    const notPem = await waitForEndpoint(env, ns, 'private', 'Failed again', isPhase('Failed'));
    expect(condition(notPem, 'CABundleValid')).toMatchObject({ status: 'False', reason: 'CABundleNotPEM' });
    expect(condition(notPem, 'CABundleValid').message).toContain('BEGIN CERTIFICATE');

    await env.kube.create(
      R.endpoint,
      ns,
      endpointBody('wrong-key', directSpec({ caBundleRef: { name: 'internal-ca', key: 'bundle.pem' } })),
    );
    const wrongKey = await waitForEndpoint(env, ns, 'wrong-key', 'Failed', isPhase('Failed'));
    expect(condition(wrongKey, 'CABundleValid')).toMatchObject({ status: 'False', reason: 'CABundleKeyNotFound' });
    expect(condition(wrongKey, 'CABundleValid').message).toContain('"ca.crt"');
  });

  it('a header Secret created after the endpoint flips it to Ready; its value never reaches the status', async () => {
    const ns = await env.cp.namespace('secret');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    const spec = directSpec({
      headerForward: {
        addHeadersFromSecret: [{ headerName: 'X-API-Key', valueSecretRef: { name: 'creds', key: 'api-key' } }],
      },
    });
    await env.kube.create(R.endpoint, ns, endpointBody('keyed', spec));
    const failed = await waitForEndpoint(env, ns, 'keyed', 'Failed', isPhase('Failed'));
    expect(condition(failed, 'ConfigurationValid')).toMatchObject({ status: 'False', reason: 'HeaderSecretNotFound' });
    const value = 'sk-super-secret-value-4711';
    await env.kube.create(R.secret, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds' },
      stringData: { 'api-key': value },
    });
    const ready = await waitForEndpoint(env, ns, 'keyed', 'Ready', isPhase('Ready'));
    expect(JSON.stringify(ready)).not.toContain(value);
  });

  it('bad input: odd group name, non-PEM CA, reserved headers each fail clearly while other endpoints keep being served', async () => {
    const ns = await env.cp.namespace('bad');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.configMap, ns, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'junk-ca' },
      data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n' },
    });
    // Malformed URLs are refused at admission now; hostile-input.test.ts stores them under an older CRD.
    await env.kube.create(R.endpoint, ns, endpointBody('odd-group', directSpec({ groupRef: 'Team_A!' })));
    await env.kube.create(R.endpoint, ns, endpointBody('bad-ca', directSpec({ caBundleRef: { name: 'junk-ca' } })));
    // Reserved headers, asked for by the endpoint and by its auth config: the gateway would never send them.
    const xff = { headerForward: { addPlaintextHeaders: { 'X-Forwarded-For': '10.0.0.1' } } };
    await env.kube.create(R.endpoint, ns, endpointBody('xff', directSpec(xff)));
    await env.kube.create(
      R.authConfig,
      ns,
      authConfigBody('forwarded', 'headerInjection', {
        headerName: 'Forwarded',
        valueSecretRef: { name: 'creds', key: 'v' },
      }),
    );
    await env.kube.create(
      R.endpoint,
      ns,
      endpointBody('fwd-auth', directSpec({ externalAuthConfigRef: { name: 'forwarded' } })),
    );
    await env.kube.create(R.endpoint, ns, endpointBody('good', directSpec()));

    const expectations: [string, string, string, string][] = [
      ['odd-group', 'GroupRefValid', 'GroupRefInvalid', 'lowercase letters'],
      ['bad-ca', 'CABundleValid', 'CABundleInvalidCertificate', 'not a valid X.509 certificate'],
      ['xff', 'ConfigurationValid', 'HeaderNameReserved', 'header "X-Forwarded-For" is reserved'],
      ['fwd-auth', 'AuthConfigValid', 'HeaderNameReserved', 'spec.headerInjection header "Forwarded" is reserved'],
    ];
    for (const [name, type, reason, words] of expectations) {
      const e = await waitForEndpoint(env, ns, name, 'Failed', isPhase('Failed'));
      expect(condition(e, type)).toMatchObject({ status: 'False', reason });
      expect(condition(e, type).message).toContain(words);
      expect(condition(e, 'Ready')).toMatchObject({ status: 'False', reason });
      await waitForEvents(env, ns, name, [reason]);
    }
    await waitForEndpoint(env, ns, 'good', 'Ready', isPhase('Ready'));
    // And one created after the bad ones is served too.
    await env.kube.create(R.endpoint, ns, endpointBody('good-later', directSpec()));
    await waitForEndpoint(env, ns, 'good-later', 'Ready', isPhase('Ready'));
  });

  it('a Ready endpoint rests without an actor; deleting it needs no finalizer and leaves nothing behind', async () => {
    const ns = await env.cp.namespace('del');
    const key = `${ns}/bye`;
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.endpoint, ns, endpointBody('bye', directSpec()));
    await waitForEndpoint(env, ns, 'bye', 'Ready', isPhase('Ready'));
    await until('the endpoint to rest', () => op.registry.restingState(key) === 'ready');
    expect(op.registry.get(key)).toBeUndefined();
    await env.kube.delete(R.endpoint, ns, 'bye');
    await until('its key to be forgotten', () => op.registry.restingState(key) === undefined);
    expect(op.registry.get(key)).toBeUndefined();
  });

  it('never contacts the remote: a loopback server behind remoteURL sees no connection', async () => {
    let connections = 0;
    const remote = createServer((_req, res) => res.end());
    remote.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r));
    try {
      const port = (remote.address() as AddressInfo).port;
      const ns = await env.cp.namespace('no-probe');
      await env.kube.create(R.group, ns, groupBody('engineering'));
      await env.kube.create(
        R.endpoint,
        ns,
        endpointBody('local', directSpec({ remoteURL: `http://127.0.0.1:${port}/mcp` })),
      );
      await waitForEndpoint(env, ns, 'local', 'Ready', isPhase('Ready'));
      op.registry.wake(`${ns}/local`);
      await waitUntilSettled(env, op, [['endpoint', ns, 'local']]);
      expect(connections).toBe(0);
    } finally {
      await new Promise((r) => remote.close(r));
    }
  });

  it('with the ToolHive CRDs absent the collision check is skipped quietly', () => {
    expect(op.informers.mcpServers.absent).toBe(true);
    expect(op.informers.mcpRemoteProxies.absent).toBe(true);
  });
});
