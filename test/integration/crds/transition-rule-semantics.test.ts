// Why MCPRemoteEndpoint's immutability rule is written `self == oldSelf` without a guard. THV-0067 proposes
// `oldSelf == null || self.type == oldSelf.type` and says the guard lets the rule pass on create. On a real API
// server, rules that mention oldSelf are transition rules: skipped on create, run only on update against the
// stored object, where oldSelf is never null. So the guard is dead code. With optionalOldSelf the rule also runs on
// create, and the guard must be `!oldSelf.hasValue()`. These throwaway CRDs (group rfc.mcpre.test) show all three.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResourceId } from '../../../src/api/resources.ts';
import { useControlPlane } from '../../support/control-plane-suite.ts';
import { until } from '../../support/eventually.ts';
import { rejection } from '../../support/kube-objects.ts';

const GROUP = 'rfc.mcpre.test';

interface Variant {
  plural: string;
  kind: string;
  rule: { rule: string; message: string; optionalOldSelf?: boolean };
}

// Each CRD has a defaulted spec.type, like MCPRemoteEndpoint, and one rule on spec.
const variants = {
  /** The RFC's rule, verbatim. */
  rfc: {
    plural: 'rfcrules',
    kind: 'RfcRule',
    rule: { rule: 'oldSelf == null || self.type == oldSelf.type', message: 'rfc' },
  },
  /** Only the guard: if `oldSelf == null` were ever true, updates would pass; if create ran it, create would pass. */
  guardOnly: { plural: 'guardonlies', kind: 'GuardOnly', rule: { rule: 'oldSelf == null', message: 'guard-false' } },
  /** The ratcheting form: evaluated on create too, with oldSelf an optional. */
  optional: {
    plural: 'optionalrules',
    kind: 'OptionalRule',
    rule: { rule: '!oldSelf.hasValue()', message: 'has-old-value', optionalOldSelf: true },
  },
} satisfies Record<string, Variant>;

const resourceOf = (v: Variant): ResourceId => ({ group: GROUP, version: 'v1', plural: v.plural, kind: v.kind });

function crdFor(v: Variant) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${v.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: v.kind, listKind: `${v.kind}List`, plural: v.plural, singular: v.kind.toLowerCase() },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  'x-kubernetes-validations': [v.rule],
                  properties: {
                    type: { type: 'string', enum: ['proxy', 'direct'], default: 'proxy' },
                    note: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

const api = useControlPlane({ crdDirs: [], namespace: 'transition' });

// The throwaway CRDs, installed once the control plane is up (this hook runs after useControlPlane's).
beforeAll(async () => {
  for (const v of Object.values(variants)) {
    const res = await api.cp.running.admin.request(
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      crdFor(v),
    );
    expect(res.status, res.text).toBe(201);
  }
  // Bounded wait until each new resource is served (Established and in discovery).
  for (const v of Object.values(variants)) {
    await until(
      `${v.plural} to be served`,
      async () =>
        (await api.cp.running.admin.request('GET', `/apis/${GROUP}/v1/namespaces/${api.ns}/${v.plural}`)).status ===
        200,
      { intervalMs: 100 },
    );
  }
});

const obj = (v: Variant, name: string, spec: object) => ({
  apiVersion: `${GROUP}/v1`,
  kind: v.kind,
  metadata: { name },
  spec,
});

describe('transition rules (oldSelf without optionalOldSelf)', () => {
  it('are skipped on create: even a rule that is false whenever it runs lets a create through', async () => {
    await expect(
      api.k.create(resourceOf(variants.guardOnly), api.ns, obj(variants.guardOnly, 'g', { type: 'direct' })),
    ).resolves.toBeDefined();
  });

  it('run on every update, where oldSelf is never null: the RFC guard `oldSelf == null` is never true', async () => {
    const err = await rejection(
      api.k.mergePatch(resourceOf(variants.guardOnly), api.ns, 'g', { spec: { note: 'unrelated change' } }),
    );
    expect(err.message).toContain('guard-false');
  });

  it('so the RFC rule behaves exactly like plain `self.type == oldSelf.type`', async () => {
    const rfc = resourceOf(variants.rfc);
    await api.k.create(rfc, api.ns, obj(variants.rfc, 'r', { type: 'direct' }));
    await expect(api.k.mergePatch(rfc, api.ns, 'r', { spec: { note: 'ok' } })).resolves.toBeDefined();
    const err = await rejection(api.k.mergePatch(rfc, api.ns, 'r', { spec: { type: 'proxy' } }));
    expect(err.message).toContain('rfc');
  });
});

describe('optionalOldSelf: true', () => {
  it('runs the rule on create with oldSelf absent (hasValue() false) ...', async () => {
    const res = resourceOf(variants.optional);
    await expect(api.k.create(res, api.ns, obj(variants.optional, 'o', { type: 'direct' }))).resolves.toBeDefined();
  });

  it('... and on update with oldSelf present (hasValue() true)', async () => {
    const err = await rejection(api.k.mergePatch(resourceOf(variants.optional), api.ns, 'o', { spec: { note: 'x' } }));
    expect(err.message).toContain('has-old-value');
  });
});
