// `mcpre operator` as a child process (as it runs in a pod, but with a kubeconfig file), its JSON log lines, and the
// control plane's audit log read back as (user, verb, resource) records. Shared by the deploy, leader and metrics
// integration tests.
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdminClient } from '../../../src/control-plane/admin-client.ts';
import { spawnMcpre } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';

export interface OperatorProcess {
  child: ChildProcess;
  /** Its JSON log lines (stdout) so far, parsed; a line that is not JSON as `{ raw }`. */
  lines: Record<string, unknown>[];
  stderr(): string;
  exited: Promise<number | null>;
  /** Waits for a log line whose msg is `msg` (and that `match` accepts), bounded by `timeoutMs`. */
  waitForLog(
    msg: string,
    timeoutMs?: number,
    match?: (line: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM, then the exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

export function startOperatorProcess(
  args: string[],
  extraEnv: Record<string, string | undefined> = {},
): OperatorProcess {
  const p = spawnMcpre(['operator', ...args], {
    ...process.env,
    KUBERNETES_SERVICE_HOST: undefined,
    KUBECONFIG: undefined,
    ...extraEnv,
  });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  p.child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ raw: line });
      }
      nl = buf.indexOf('\n');
    }
  });
  let gone = false;
  void p.exited.then(() => {
    gone = true;
  });
  return {
    child: p.child,
    lines,
    stderr: p.stderr,
    exited: p.exited,
    async waitForLog(msg, timeoutMs = 30_000, match = () => true) {
      const find = () => lines.find((l) => l.msg === msg && match(l));
      await until(`a "${msg}" log line`, () => find() !== undefined || gone, { timeoutMs, intervalMs: 25 }).catch(
        () => undefined,
      );
      const hit = find();
      if (hit) return hit;
      throw new Error(
        `no "${msg}" log line within ${timeoutMs} ms (exited: ${gone}); log:\n${lines
          .map((l) => JSON.stringify(l))
          .join('\n')}\n${p.stderr()}`,
      );
    },
    stop: (graceMs = 15_000) => p.stop(graceMs),
  };
}

/** A request as the control plane's admin that must succeed (2xx); returns the parsed body. */
export async function adminRequest(
  cp: { admin: AdminClient },
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await cp.admin.request(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.text}`);
  return res.json;
}

/** Writes a kubeconfig to a file the child process can read. */
export async function kubeconfigFile(dir: string, name: string, content: string): Promise<string> {
  const path = join(dir, `${name}.kubeconfig`);
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

/** One request as the API server's audit log (level Metadata) records it. */
export interface AuditRecord {
  auditID: string;
  stage: string;
  verb: string;
  user: { username: string; groups?: string[] };
  userAgent?: string;
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  requestURI: string;
}

export async function readAudit(path: string): Promise<AuditRecord[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as AuditRecord)
    .filter((r) => r.stage === 'ResponseComplete' || r.stage === 'Panic' || r.verb === 'watch');
}

/** `apiGroup/resource[/subresource]:verb`, with `core` for the empty group (as permissions.ts `grantKey`). */
export function auditGrantKey(r: AuditRecord): string | undefined {
  const o = r.objectRef;
  if (!o?.resource) return undefined;
  const resource = o.subresource ? `${o.resource}/${o.subresource}` : o.resource;
  return `${o.apiGroup || 'core'}/${resource}:${r.verb}`;
}
