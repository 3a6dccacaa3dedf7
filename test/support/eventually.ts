// Bounded polling for "eventually" assertions, and the condition lookup they check with. Every wait in the tests goes
// through these two, so each is bounded in time and says what it waited for when it gives up.
import type { KubeObject } from './kube-objects.ts';

/** Polls `probe` until it returns a value (not undefined), or fails naming `what` and the last error seen. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 15_000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Polls `check` until it holds, or fails naming `what`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  await eventually(what, async () => ((await check()) ? true : undefined), opts);
}

/** The object's status condition of this type, if any. */
// biome-ignore lint/suspicious/noExplicitAny: tests read loosely typed conditions
export function condition(obj: KubeObject, type: string): any {
  return (obj.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}
