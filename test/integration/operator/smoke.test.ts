import { afterAll, beforeAll, expect, it } from 'vitest';
import { directSpec, type Env, endpointBody, groupBody, R, startEnv, waitForEndpoint } from './harness.ts';

let env: Env;
beforeAll(async () => {
  const t0 = Date.now();
  env = await startEnv();
  console.log('control plane up in', Date.now() - t0, 'ms');
});
afterAll(async () => env?.stop());

it('smoke: a direct endpoint becomes Ready', async () => {
  const ns = await env.cp.namespace('smoke');
  await env.kube.create(R.group, ns, groupBody('engineering'));
  await env.kube.create(R.endpoint, ns, endpointBody('context7', directSpec()));
  const t0 = Date.now();
  await env.operator();
  const e = await waitForEndpoint(env, ns, 'context7', 'Ready', (o) => o.status?.phase === 'Ready');
  console.log('ready in', Date.now() - t0, 'ms', JSON.stringify(e.status, null, 1));
  expect(e.status.url).toBe('https://mcp.example.com/mcp');
});
