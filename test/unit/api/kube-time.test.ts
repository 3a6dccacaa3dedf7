// The Kubernetes time formats every writer of status, events and Leases uses (src/api/kube-time.ts).
import { describe, expect, it } from 'vitest';
import { isoMillis, isoSeconds, microTime, microTimeAt } from '../../../src/api/kube-time.ts';

const at = Date.UTC(2026, 0, 2, 3, 4, 5, 67);

describe('kube time formats', () => {
  it('metav1.Time drops the milliseconds', () => {
    expect(isoMillis(at)).toBe('2026-01-02T03:04:05.067Z');
    expect(isoSeconds(at)).toBe('2026-01-02T03:04:05Z');
  });

  it('metav1.MicroTime has six fractional digits, padded or cut', () => {
    expect(microTimeAt(at)).toBe('2026-01-02T03:04:05.067000Z');
    expect(microTime('2026-01-02T03:04:05Z')).toBe('2026-01-02T03:04:05.000000Z');
    expect(microTime('2026-01-02T03:04:05.123456789Z')).toBe('2026-01-02T03:04:05.123456Z');
  });

  it('leaves text that is not RFC 3339 UTC as it is', () => {
    expect(microTime('not a time')).toBe('not a time');
  });
});
