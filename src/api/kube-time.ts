// Kubernetes' two time formats, made from epoch milliseconds taken from an injected clock (never read here):
// metav1.Time (RFC 3339, whole seconds: conditions, status) and metav1.MicroTime (six fractional digits: events.k8s.io
// eventTime, Lease renewTime/acquireTime).

/** RFC 3339 with milliseconds, e.g. 2026-01-01T00:00:00.123Z. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** metav1.Time: RFC 3339 in whole seconds, e.g. 2026-01-01T00:00:00Z. */
export function isoSeconds(ms: number): string {
  return isoMillis(ms).replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime for an RFC 3339 time: six fractional digits (padded or cut); any other text comes back as is. */
export function microTime(iso: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return iso;
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

/** metav1.MicroTime for epoch milliseconds. */
export function microTimeAt(ms: number): string {
  return microTime(isoMillis(ms));
}
