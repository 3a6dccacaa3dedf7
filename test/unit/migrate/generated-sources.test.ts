// Property tests over generated MCPRemoteProxy and MCPServerEntry manifests in both shapes, with the mess real
// manifests have: nulls from Go fields without omitempty, old key spellings, unknown keys and values of the wrong
// type. Whatever comes in, the run succeeds, every MCPRemoteEndpoint passes the CRD schema, nothing is lost without
// a report line, and the output does not depend on the order of keys in the input. Seeded and bounded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { migrateManifests } from '../../../src/api/migrate/migrate-documents.ts';
import { validateEndpoint } from './crd-validator.ts';
import { silentlyLost } from './field-accounting.ts';

type Obj = Record<string, unknown>;

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/);
const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && s !== '');
const url = label.map((h) => `https://${h}.example.com/mcp`);
const headerName = fc.stringMatching(/^X-[A-Z][a-z]{1,8}$/);
const maybeNull = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) });
const junkValue = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.integer(),
  fc.boolean(),
  fc.constant({ nested: 1 }),
  fc.constant([1]),
);
/** A key that no source or target kind has, so it must be reported. */
const junkKey = fc.stringMatching(/^zz[A-Za-z]{1,6}$/);

const nameRef = label.map((name) => ({ name }));
const headerForward = fc.record(
  {
    addPlaintextHeaders: fc.dictionary(headerName, text, { maxKeys: 3 }),
    addHeadersFromSecret: fc.uniqueArray(
      fc.record({ headerName, valueSecretRef: fc.record({ name: label, key: label }) }),
      { maxLength: 3, selector: (h) => h.headerName },
    ),
  },
  { requiredKeys: [] },
);

const inlineOIDC = fc.oneof(
  fc.record({
    type: fc.constant('kubernetes'),
    kubernetes: fc.record({ audience: text, useClusterAuth: maybeNull(fc.boolean()) }, { requiredKeys: [] }),
  }),
  fc.record({ type: fc.constant('configMap'), configMap: fc.record({ name: label, key: fc.constant('oidc.json') }) }),
  fc.record(
    {
      type: fc.constant('inline'),
      resourceUrl: url,
      inline: fc.record(
        {
          issuer: url,
          audience: text,
          jwksURL: url, // the old spelling
          clientSecret: text, // plaintext: must be reported
          scopes: fc.array(text, { minLength: 1, maxLength: 2 }),
          jwksAllowPrivateIP: fc.boolean(),
        },
        { requiredKeys: ['issuer'] },
      ),
    },
    { requiredKeys: ['type', 'inline'] },
  ),
);

const proxyPod = fc.record(
  {
    authzConfig: fc.oneof(
      fc.record({
        type: fc.constant('inline'),
        inline: fc.record({ policies: fc.array(text, { minLength: 1, maxLength: 2 }) }),
      }),
      fc.record(
        { type: fc.constant('configMap'), configMap: fc.record({ name: label }), groupClaimName: text },
        { requiredKeys: ['type', 'configMap'] },
      ),
    ),
    audit: fc.record({ enabled: fc.boolean() }),
    telemetry: fc.record(
      {
        openTelemetry: fc.record(
          { enabled: fc.boolean(), endpoint: text, headers: fc.array(text, { maxLength: 2 }) },
          { requiredKeys: [] },
        ),
        prometheus: fc.record({ enabled: fc.boolean() }),
      },
      { requiredKeys: [] },
    ),
    resources: fc.record(
      { limits: fc.record({ cpu: fc.constant('500m'), memory: fc.constant('128Mi') }, { requiredKeys: [] }) },
      { requiredKeys: [] },
    ),
    serviceAccount: label,
    proxyPort: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constant('8080'), fc.constant(70000)),
    port: fc.integer({ min: 1, max: 65535 }),
    sessionAffinity: fc.constantFrom('ClientIP', 'None', 'Sticky'),
    trustProxyHeaders: fc.oneof(fc.boolean(), fc.constant('yes')),
    endpointPrefix: fc.constantFrom('', '/mcp'),
    resourceOverrides: fc.record(
      {
        proxyDeployment: fc.record(
          {
            labels: fc.dictionary(label, text, { maxKeys: 2 }),
            env: fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[A-Z_]{1,8}$/), value: text }), {
              maxLength: 2,
              selector: (e) => e.name,
            }),
            imagePullSecrets: fc.array(nameRef, { maxLength: 1 }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    allowPrivateEndpoint: fc.boolean(),
    replicas: fc.integer({ min: 0, max: 3 }),
  },
  { requiredKeys: [] },
);

const common = fc.record(
  {
    url,
    rfcShape: fc.boolean(),
    transport: fc.constantFrom(undefined, 'sse', 'streamable-http'),
    group: fc.option(label, { nil: undefined }),
    externalAuthConfigRef: fc.option(nameRef, { nil: undefined }),
    headerForward: fc.option(headerForward, { nil: undefined }),
    junk: fc.dictionary(junkKey, junkValue, { maxKeys: 2 }),
    labels: fc.dictionary(label, text, { maxKeys: 2 }),
    name: label,
  },
  { requiredKeys: ['url', 'rfcShape', 'name', 'junk', 'labels'] },
);

type Common = typeof common extends fc.Arbitrary<infer T> ? T : never;

function baseSpec(c: Common): Obj {
  const spec: Obj = { [c.rfcShape ? 'remoteURL' : 'remoteUrl']: c.url };
  if (c.transport) spec.transport = c.transport;
  if (c.group) spec.groupRef = c.rfcShape ? c.group : { name: c.group };
  if (c.externalAuthConfigRef) spec.externalAuthConfigRef = c.externalAuthConfigRef;
  if (c.headerForward) spec.headerForward = c.headerForward;
  return { ...spec, ...c.junk };
}

const proxy = fc
  .record({
    common,
    pod: proxyPod,
    oidc: fc.option(inlineOIDC, { nil: undefined }),
    ref: fc.option(fc.record({ name: label, audience: text, inIndex: fc.boolean() }), { nil: undefined }),
  })
  .map(({ common: c, pod, oidc, ref }) => {
    const spec: Obj = { ...baseSpec(c), ...pod };
    const extra: Obj[] = [];
    if (oidc) spec.oidcConfig = oidc;
    else if (ref) {
      spec.oidcConfigRef = { name: ref.name, audience: ref.audience };
      if (ref.inIndex) {
        extra.push({
          apiVersion: 'toolhive.stacklok.dev/v1beta1',
          kind: 'MCPOIDCConfig',
          metadata: { name: ref.name, namespace: 'ns' },
          spec: {
            type: 'kubernetesServiceAccount',
            kubernetesServiceAccount: { issuer: 'https://kubernetes.default.svc', useClusterAuth: null },
          },
        });
      }
    }
    const apiVersion = c.rfcShape ? 'toolhive.stacklok.dev/v1alpha1' : 'toolhive.stacklok.dev/v1beta1';
    return [
      {
        apiVersion,
        kind: 'MCPRemoteProxy',
        metadata: { name: c.name, namespace: 'ns', labels: c.labels, uid: 'u-1' },
        spec,
      },
      ...extra,
    ];
  });

const entry = fc
  .record({
    common,
    ca: fc.option(fc.record({ name: label, key: fc.option(fc.constant('ca.crt'), { nil: undefined }) }), {
      nil: undefined,
    }),
    allowPrivateEndpoint: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ common: c, ca, allowPrivateEndpoint }) => {
    const spec: Obj = baseSpec(c);
    if (ca) spec.caBundleRef = c.rfcShape ? ca : { configMapRef: ca };
    if (allowPrivateEndpoint !== undefined) spec.allowPrivateEndpoint = allowPrivateEndpoint;
    return [
      {
        apiVersion: 'toolhive.stacklok.dev/v1beta1',
        kind: 'MCPServerEntry',
        metadata: { name: c.name, namespace: 'ns', labels: c.labels },
        spec,
        status: { phase: 'Valid' },
      },
    ];
  });

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  );
}

const yamlOf = (objects: unknown[]) => objects.map((o) => stringify(o)).join('---\n');
const parse = (s: string) => parseAllDocuments(s).map((d) => d.toJS() as Obj);

describe('mcpre migrate on generated ToolHive manifests', () => {
  it('always converts to schema-valid endpoints, reports every lost field, and ignores input key order', () => {
    fc.assert(
      fc.property(fc.oneof(proxy, entry), (objects) => {
        const source = objects[0] as Obj;
        const result = migrateManifests(yamlOf(objects));
        if (!result.ok) throw new Error(result.error);
        const out = parse(result.output);
        const converted = out[0] as Obj;
        expect(validateEndpoint(converted)).toEqual([]);
        expect(silentlyLost(source, converted, result.entries)).toEqual([]);
        const junk = Object.keys(source.spec as Obj).filter((k) => k.startsWith('zz'));
        for (const k of junk)
          expect(result.entries.some((e) => e.type === 'unmapped' && e.path === `spec.${k}`)).toBe(true);
        // The converted object's text does not depend on key order (pass-through documents keep theirs, by design).
        const reordered = migrateManifests(yamlOf(objects.map(reverseKeys)));
        const firstDoc = (s: string) => s.split('---\n')[0];
        expect(reordered.ok && firstDoc(reordered.output)).toBe(firstDoc(result.output));
      }),
      { seed: 20260318, numRuns: 300 },
    );
  });
});
