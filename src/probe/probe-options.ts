// `mcpre probe` options, checked before anything connects: each mistake gets a message that says what to type.
import { readFile } from 'node:fs/promises';
import { parseCaBundle } from '../actors/mcp/http/http-client.ts';
import type { TransportKind } from '../actors/mcp/protocol.ts';
import { headerNameProblem, headerValueProblem } from '../api/header-policy.ts';
import { checkHttpUrl } from '../api/http-url.ts';

export interface ProbeOptions {
  url: string;
  transport: TransportKind;
  headers: Array<{ name: string; value: string }>;
  caBundlePem: string | undefined;
  caBundleSource: string | undefined;
  call: { tool: string; args: Record<string, unknown> } | undefined;
  watchMs: number | undefined;
  /** Declare elicitation and accept every elicitation/create with the requested schema's defaults. */
  elicitDefaults: boolean;
  timeoutMs: number;
  json: boolean;
  logLevel: string;
}

export class ProbeUsageError extends Error {
  override name = 'ProbeUsageError';
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `5m`, `1h`, or a bare number of seconds. */
export function parseDuration(raw: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!match)
    throw new ProbeUsageError(`${flag} ${JSON.stringify(raw)}: expected a duration like 500ms, 30s, 5m or 1h`);
  const value = Number(match[1]) * (UNITS[match[2] ?? 's'] as number);
  if (value <= 0 || value > 7 * 24 * 3_600_000)
    throw new ProbeUsageError(`${flag} ${raw}: must be between 1ms and 7 days`);
  return Math.round(value);
}

export async function parseProbeOptions(url: string, raw: Record<string, unknown>): Promise<ProbeOptions> {
  // The same rule the CRD, the operator and the gateway apply, so a URL probe accepts is one an endpoint can use.
  const checked = checkHttpUrl(url);
  if (!checked.ok) throw new ProbeUsageError(`URL ${checked.problem}`);
  const transport = String(raw.transport ?? 'streamable-http');
  if (transport !== 'streamable-http' && transport !== 'sse') {
    throw new ProbeUsageError(`--transport ${JSON.stringify(transport)}: expected streamable-http or sse`);
  }
  // The gateway's header rule, so a header probe sends is one an endpoint can be configured with.
  const headers: Array<{ name: string; value: string }> = [];
  for (const entry of (raw.header as string[] | undefined) ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new ProbeUsageError(`--header ${JSON.stringify(entry.split('=')[0])}: expected NAME=VALUE`);
    const name = entry.slice(0, eq);
    const nameProblem = headerNameProblem(name);
    if (nameProblem) throw new ProbeUsageError(`--header ${JSON.stringify(name.slice(0, 64))} ${nameProblem.message}`);
    if (headers.some((h) => h.name.toLowerCase() === name.toLowerCase()))
      throw new ProbeUsageError(`--header ${name} given twice`);
    const valueProblem = headerValueProblem(entry.slice(eq + 1));
    if (valueProblem) throw new ProbeUsageError(`--header ${name}: the value ${valueProblem}`);
    headers.push({ name, value: entry.slice(eq + 1) });
  }
  let caBundlePem: string | undefined;
  const caFile = raw.caBundle as string | undefined;
  if (caFile) {
    try {
      caBundlePem = await readFile(caFile, 'utf8');
    } catch (err) {
      throw new ProbeUsageError(`--ca-bundle ${caFile}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    try {
      parseCaBundle(caBundlePem, `--ca-bundle ${caFile}`);
    } catch (err) {
      throw new ProbeUsageError(err instanceof Error ? err.message : String(err));
    }
  }
  let call: ProbeOptions['call'];
  if (raw.call !== undefined) {
    let args: unknown;
    try {
      args = JSON.parse(String(raw.args ?? '{}'));
    } catch {
      throw new ProbeUsageError(`--args is not valid JSON (expected an object like '{"a": 1}')`);
    }
    if (!args || typeof args !== 'object' || Array.isArray(args)) {
      throw new ProbeUsageError('--args must be a JSON object');
    }
    call = { tool: String(raw.call), args: args as Record<string, unknown> };
  } else if (raw.args !== undefined && raw.args !== '{}') {
    throw new ProbeUsageError('--args needs --call <tool>');
  }
  return {
    url,
    transport,
    headers,
    caBundlePem,
    caBundleSource: caFile,
    call,
    watchMs: raw.watch !== undefined ? parseDuration(String(raw.watch), '--watch') : undefined,
    timeoutMs: parseDuration(String(raw.timeout ?? '30s'), '--timeout'),
    json: raw.json === true,
    elicitDefaults: raw.elicitDefaults === true,
    logLevel: String(raw.logLevel ?? 'silent'),
  };
}
