// What informers keep of an object: everything a decision reads, without the server's bookkeeping copies.
import { describe, expect, it } from 'vitest';
import { secretKeysOnly, shareStrings, slimObject } from '../../../src/runtime/kube/transforms.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

describe('slimObject', () => {
  it('drops managedFields and the last-applied annotation, keeps other annotations and the rest', () => {
    const raw = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'ca',
        namespace: 'ns',
        resourceVersion: '7',
        managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:data': {} } }],
        annotations: { [LAST_APPLIED]: '{"apiVersion":"v1"}', 'example.com/keep': 'yes' },
      },
      data: { 'ca.crt': 'PEM' },
    };
    expect(slimObject(raw)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ca', namespace: 'ns', resourceVersion: '7', annotations: { 'example.com/keep': 'yes' } },
      data: { 'ca.crt': 'PEM' },
    });
    expect(raw.metadata.annotations[LAST_APPLIED]).toBeDefined();
  });

  it('returns an object with nothing to drop as it is', () => {
    const raw = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', annotations: { a: 'b' } } };
    expect(slimObject(raw)).toBe(raw);
  });
});

describe('shareStrings', () => {
  const parsed = (i: number) =>
    JSON.parse(
      JSON.stringify({
        apiVersion: 'toolhive.stacklok.dev/v1alpha1',
        kind: 'MCPRemoteEndpoint',
        metadata: { name: `e${i}`, namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' },
        spec: { remoteURL: `https://e${i}.example.com/mcp` },
        status: {
          phase: 'Ready',
          conditions: [
            { type: 'Ready', status: 'True', reason: 'Ready', message: `serving e${i}`, lastTransitionTime: 'now' },
          ],
        },
      }),
    );

  it('changes no value, in place, over more distinct strings than its table holds', () => {
    for (let i = 0; i < 20_000; i++) {
      const obj = parsed(i);
      const expected = structuredClone(obj);
      expect(shareStrings(obj)).toBe(obj);
      expect(obj).toEqual(expected);
    }
  });

  it('leaves objects without status or metadata fields alone', () => {
    const obj = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, status: 'not an object' };
    expect(shareStrings(obj as never)).toEqual({ ...obj });
  });
});

describe('secretKeysOnly', () => {
  const tlsSecret = (cert: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: 'client', namespace: 'ns', uid: 'u1', resourceVersion: '9', labels },
    data: { 'tls.crt': cert, 'tls.key': 'c2VjcmV0LWtleQ==', password: 'aHVudGVyMg==' },
  });

  it('keeps key names and a digest of tls.crt, never a value', () => {
    const kept = secretKeysOnly(tlsSecret('Y2VydC0x'));
    expect(kept).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'client', namespace: 'ns', uid: 'u1', resourceVersion: '9' },
      keys: ['password', 'tls.crt', 'tls.key'],
      tlsCertDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    for (const value of ['Y2VydC0x', 'c2VjcmV0LWtleQ==', 'aHVudGVyMg=='])
      expect(JSON.stringify(kept)).not.toContain(value);
  });

  it('changes the digest with the certificate only, and has none without tls.crt', () => {
    const digest = (raw: unknown) => secretKeysOnly(raw).tlsCertDigest;
    expect(digest(tlsSecret('Y2VydC0x', { team: 'a' }))).toBe(digest(tlsSecret('Y2VydC0x')));
    expect(digest(tlsSecret('Y2VydC0y'))).not.toBe(digest(tlsSecret('Y2VydC0x')));
    expect(secretKeysOnly({ metadata: { name: 'p' }, data: { password: 'eA==' } })).not.toHaveProperty('tlsCertDigest');
  });
});
