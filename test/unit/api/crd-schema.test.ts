// Offline checks of crds/*.yaml: the rules a structural schema must follow, a description on every field (so
// `kubectl explain` is useful), the RFC's names, columns and defaults, and every example validated against its
// schema (unknown fields included, which the API server would drop silently).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type LoadedCrd, loadCrds, type SchemaNode, walkSchema } from '../../../scripts/generate/crds.ts';
import { httpUrlCelRule } from '../../../src/api/http-url.ts';
import { validateStructural } from './structural-validator.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');
const crds = loadCrds(repoRoot);
const testCrds = loadCrds(repoRoot, 'test/crds/toolhive');
const byKind = new Map(crds.map((c) => [c.crd.spec.names.kind, c]));
const schemaOf = (kind: string): SchemaNode => {
  const loaded = byKind.get(kind);
  if (loaded === undefined) throw new Error(`no CRD for ${kind}`);
  return loaded.version.schema.openAPIV3Schema;
};
const nodeAt = (kind: string, path: string): SchemaNode | undefined =>
  [...walkSchema(schemaOf(kind))].find((v) => v.path === path)?.node;

describe.each(crds.map((c) => [c.crd.spec.names.kind, c] as [string, LoadedCrd]))(
  '%s CRD',
  (_kind, { crd, version }) => {
    const root = version.schema.openAPIV3Schema;

    it('is in group toolhive.stacklok.dev, version v1alpha1, namespaced, with a status subresource', () => {
      expect(crd.spec.group).toBe('toolhive.stacklok.dev');
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.versions.map((v) => v.name)).toEqual(['v1alpha1']);
      expect(version.served).toBe(true);
      expect(version.subresources?.status).toEqual({});
    });

    it('has a description on every field except metadata', () => {
      const missing = [...walkSchema(root)]
        // Scalar list items and map values are explained by their list's description (kubectl explain shows no separate entry).
        .filter(({ path, node }) => !((path.endsWith('[]') || path.endsWith('.*')) && node.type !== 'object'))
        .filter(({ path, node }) => path !== 'metadata' && (node.description ?? '').trim() === '')
        .map(({ path }) => path || '(root)');
      expect(missing).toEqual([]);
    });

    it('follows the structural-schema rules', () => {
      const problems: string[] = [];
      for (const { path, node } of walkSchema(root)) {
        const where = path || '(root)';
        const open =
          node['x-kubernetes-preserve-unknown-fields'] === true || node['x-kubernetes-int-or-string'] === true;
        if (node.type === undefined && !open) problems.push(`${where}: no type`);
        if (node.type === 'array' && node.items === undefined) problems.push(`${where}: array without items`);
        if (node.properties !== undefined && node.additionalProperties !== undefined) {
          problems.push(`${where}: both properties and additionalProperties`);
        }
        for (const key of node.required ?? []) {
          if (node.properties?.[key] === undefined) problems.push(`${where}: requires unknown property ${key}`);
        }
        if (node.default !== undefined) {
          const errs = validateStructural(node, node.default, where);
          if (errs.length > 0) problems.push(`${where}: default does not validate: ${errs.join('; ')}`);
        }
        for (const rule of node['x-kubernetes-validations'] ?? []) {
          if ((rule.message ?? rule.messageExpression ?? '').trim() === '')
            problems.push(`${where}: rule without message`);
        }
      }
      expect(problems).toEqual([]);
    });
  },
);

describe('MCPRemoteEndpoint CRD (THV-0067)', () => {
  const { crd, version } = byKind.get('MCPRemoteEndpoint')!;

  it('has short name mcpre and the RFC printer columns first, in order', () => {
    expect(crd.spec.names.shortNames).toContain('mcpre');
    const columns = (version.additionalPrinterColumns ?? []).map((c) => [c.name, c.jsonPath]);
    expect(columns.slice(0, 5)).toEqual([
      ['Type', '.spec.type'],
      ['Phase', '.status.phase'],
      ['Remote URL', '.spec.remoteURL'],
      ['URL', '.status.url'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
  });

  it('has the RFC enums and defaults', () => {
    expect(nodeAt('MCPRemoteEndpoint', 'spec.type')).toMatchObject({ enum: ['proxy', 'direct'], default: 'proxy' });
    expect(nodeAt('MCPRemoteEndpoint', 'spec.transport')?.enum).toEqual(['streamable-http', 'sse']);
    expect(nodeAt('MCPRemoteEndpoint', 'spec.remoteURL')?.['x-kubernetes-validations']?.[0]?.rule).toBe(
      httpUrlCelRule(),
    );
    expect(nodeAt('MCPRemoteEndpoint', 'spec.proxyConfig.proxyPort')?.default).toBe(8080);
    expect(nodeAt('MCPRemoteEndpoint', 'spec.proxyConfig.sessionAffinity')).toMatchObject({
      enum: ['ClientIP', 'None'],
      default: 'ClientIP',
    });
    expect(nodeAt('MCPRemoteEndpoint', 'spec.proxyConfig.trustProxyHeaders')?.default).toBe(false);
    expect(nodeAt('MCPRemoteEndpoint', 'status.phase')?.enum).toEqual(['Pending', 'Ready', 'Failed', 'Terminating']);
    expect(schemaOf('MCPRemoteEndpoint').properties?.spec?.required).toEqual([
      'type',
      'remoteURL',
      'transport',
      'groupRef',
    ]);
  });

  it('keeps the type/proxyConfig rules on spec and the immutability rule on spec.type, without the RFC guard', () => {
    const specRules = nodeAt('MCPRemoteEndpoint', 'spec')?.['x-kubernetes-validations']?.map((r) => r.rule);
    expect(specRules).toEqual([
      "self.type != 'proxy' || has(self.proxyConfig)",
      "self.type != 'direct' || !has(self.proxyConfig)",
    ]);
    const typeRules = nodeAt('MCPRemoteEndpoint', 'spec.type')?.['x-kubernetes-validations'];
    expect(typeRules?.map((r) => r.rule)).toEqual(['self == oldSelf']);
    const allRules = [...walkSchema(schemaOf('MCPRemoteEndpoint'))].flatMap(
      ({ node }) => node['x-kubernetes-validations'] ?? [],
    );
    expect(allRules.some((r) => r.rule.includes('oldSelf == null'))).toBe(false);
  });
});

describe('MCPGroup and MCPExternalAuthConfig CRDs', () => {
  it('MCPGroup status keeps the ToolHive member lists and adds remoteEndpoints/remoteEndpointCount', () => {
    const status = Object.keys(schemaOf('MCPGroup').properties?.status?.properties ?? {});
    for (const field of ['phase', 'conditions', 'observedGeneration', 'remoteEndpoints', 'remoteEndpointCount']) {
      expect(status).toContain(field);
    }
    for (const field of ['servers', 'serverCount', 'remoteProxies', 'remoteProxyCount', 'entries', 'entryCount']) {
      expect(status).toContain(field);
    }
  });

  it('MCPExternalAuthConfig has the five types, a required/forbidden rule pair for each settings block', () => {
    expect(nodeAt('MCPExternalAuthConfig', 'spec.type')?.enum).toEqual([
      'unauthenticated',
      'headerInjection',
      'tokenExchange',
      'embeddedAuthServer',
      'awsSts',
    ]);
    const fieldPaths = (nodeAt('MCPExternalAuthConfig', 'spec')?.['x-kubernetes-validations'] ?? []).map(
      (r) => r.fieldPath,
    );
    for (const block of ['tokenExchange', 'headerInjection', 'embeddedAuthServer', 'awsSts']) {
      expect(fieldPaths.filter((p) => p === `.${block}`)).toHaveLength(2);
    }
  });

  it('references secrets only by {name, key}: no string field is named like an inline secret value', () => {
    const suspicious = crds.flatMap(({ crd, version }) =>
      [...walkSchema(version.schema.openAPIV3Schema)]
        .filter(
          ({ path, node }) => node.type === 'string' && /(secret|password|token)$/i.test(path.split('.').pop() ?? ''),
        )
        .map(({ path }) => `${crd.spec.names.kind}.${path}`),
    );
    expect(suspicious).toEqual([]);
  });
});

describe('test-only ToolHive CRDs', () => {
  it('declare MCPServer and MCPRemoteProxy in the same group with open schemas', () => {
    expect(testCrds.map((c) => c.crd.spec.names.kind).sort()).toEqual(['MCPRemoteProxy', 'MCPServer']);
    for (const { crd, version } of testCrds) {
      expect(crd.spec.group).toBe('toolhive.stacklok.dev');
      expect(version.schema.openAPIV3Schema.properties?.spec?.['x-kubernetes-preserve-unknown-fields']).toBe(true);
    }
  });
});

describe('examples/', () => {
  const dir = join(repoRoot, 'examples');
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d, i) => {
        const value = d.toJS() as { apiVersion: string; kind: string; metadata: { name: string } };
        return [`${file}#${i} ${value.kind}`, value] as const;
      }),
    );

  it.each(docs.filter(([, v]) => v.apiVersion.startsWith('toolhive.stacklok.dev/')))(
    '%s matches its schema (no unknown or missing fields)',
    (_label, value) => {
      expect(validateStructural(schemaOf(value.kind), value)).toEqual([]);
    },
  );

  it('the structural check itself catches a typo and a bad enum (so the test above can fail)', () => {
    const typo = {
      apiVersion: 'x',
      kind: 'MCPRemoteEndpoint',
      metadata: {},
      spec: { type: 'direct', remoteUrl: 'https://x', transport: 'sse', groupRef: 'g' },
    };
    expect(validateStructural(schemaOf('MCPRemoteEndpoint'), typo)).toEqual([
      'spec.remoteURL: required',
      'spec.remoteUrl: unknown field (the API server would drop it silently)',
    ]);
    const badEnum = { ...typo, spec: { type: 'direct', remoteURL: 'https://x', transport: 'ws', groupRef: 'g' } };
    expect(validateStructural(schemaOf('MCPRemoteEndpoint'), badEnum)).toEqual([
      'spec.transport: ws not in streamable-http|sse',
    ]);
  });
});
