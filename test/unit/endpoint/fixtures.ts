// Builders for endpoint tests: objects as they arrive over the wire, snapshots, and a real self-signed certificate.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { ConfigMap, Endpoint, ExternalAuthConfig, Group, SecretKeys } from '../../../src/api/endpoint/model.ts';
import { type EndpointSnapshot, emptySnapshot } from '../../../src/api/endpoint/snapshot.ts';

export const NOW = '2026-01-01T00:00:00Z';
export const NS = 'team-a';

export function directEndpoint(
  over: Partial<Endpoint['spec']> = {},
  meta: Partial<Endpoint['metadata']> = {},
): Endpoint {
  return {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPRemoteEndpoint',
    metadata: { name: 'context7', namespace: NS, uid: 'uid-1', resourceVersion: '10', generation: 1, ...meta },
    spec: {
      type: 'direct',
      remoteURL: 'https://mcp.context7.com/mcp',
      transport: 'streamable-http',
      groupRef: 'engineering',
      ...over,
    },
  };
}

export function proxyEndpoint(
  over: Partial<Endpoint['spec']> = {},
  meta: Partial<Endpoint['metadata']> = {},
): Endpoint {
  return directEndpoint(
    { type: 'proxy', proxyConfig: { oidcConfig: { type: 'kubernetes' }, proxyPort: 8080 }, ...over },
    { name: 'internal-api', ...meta },
  );
}

export function group(name = 'engineering', meta: Partial<Group['metadata']> = {}): Group {
  return { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPGroup', metadata: { name, namespace: NS, ...meta } };
}

export function authConfig(name: string, type: ExternalAuthConfig['spec']['type']): ExternalAuthConfig {
  const spec: ExternalAuthConfig['spec'] = { type };
  if (type === 'headerInjection')
    spec.headerInjection = { headerName: 'X-Key', valueSecretRef: { name: 'k', key: 'v' } };
  if (type === 'tokenExchange') {
    spec.tokenExchange = {
      tokenUrl: 'https://sts.example.com/token',
      audience: 'remote',
      clientSecretRef: { name: 'sts', key: 'secret' },
    };
  }
  return {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPExternalAuthConfig',
    metadata: { name, namespace: NS },
    spec,
  };
}

export function configMap(name: string, data: Record<string, string>): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data };
}

export function secretKeys(name: string, keys: string[]): SecretKeys {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, keys };
}

/** A snapshot of a valid world around `endpoint`: its group exists and nothing else is referenced. */
export function snapshotOf(endpoint: Endpoint | null, over: Partial<EndpointSnapshot> = {}): EndpointSnapshot {
  return { ...emptySnapshot(NOW, endpoint), group: group(endpoint?.spec.groupRef ?? 'engineering'), ...over };
}

let cached: string | undefined;
/** A real self-signed certificate in PEM (generated once per test file). */
export async function selfSignedPem(): Promise<string> {
  if (cached) return cached;
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=mcpre test CA',
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2040-01-01T00:00:00Z'),
    keys: keys as webcrypto.CryptoKeyPair,
    signingAlgorithm: alg,
  });
  cached = cert.toString('pem');
  return cached;
}
