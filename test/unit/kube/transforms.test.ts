// What informers keep of an object: everything a decision reads, without the server's bookkeeping copies.
import { describe, expect, it } from 'vitest';
import { slimObject } from '../../../src/runtime/kube/transforms.ts';

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
