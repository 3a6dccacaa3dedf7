// What informers keep of an object: everything a decision reads, without the server's bookkeeping copies.
import { describe, expect, it } from 'vitest';
import { shareStrings, slimObject } from '../../../src/runtime/kube/transforms.ts';

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
