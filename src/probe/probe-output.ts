// What `mcpre probe` prints: text for people (one line per transition, then a summary), or JSON lines for scripts.
// Never a header value or token; the session id only as a fingerprint.
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { fingerprint } from '../actors/mcp/log.ts';
import type { BackendLists, EraDecision, ListKind, SessionInfo } from '../actors/mcp/protocol.ts';
import type { BackendSessionSnapshot, StreamPhase } from '../machines/backend-session-status.ts';

export interface ProbeSummary {
  session: SessionInfo;
  /** The era the `server/discover` probe found (absent: not probed, e.g. the legacy SSE transport). */
  era: EraDecision | undefined;
  lists: BackendLists;
  stream: StreamPhase;
  streamDetail: string | undefined;
}

export interface ProbeOutput {
  start(url: string, transport: string): void;
  state(label: string, detail?: string): void;
  stream(phase: StreamPhase, detail?: string): void;
  ready(summary: ProbeSummary): void;
  listsChanged(changed: ListKind[], lists: BackendLists): void;
  call(tool: string, result: Record<string, unknown>): void;
  callFailed(tool: string, message: string): void;
  fail(message: string): void;
  closed(): void;
}

type Write = (text: string) => void;

/** A readable name of where the chart is: `initializing`, `unavailable.probing`, `ready`, ... */
export function statePath(snapshot: BackendSessionSnapshot): string {
  if (snapshot.matches({ session: 'ready' })) return 'ready';
  const parts: string[] = [];
  let value: unknown = snapshot.value;
  while (value && typeof value === 'object') {
    const [key, next] = Object.entries(value)[0] ?? [];
    if (key === undefined) break;
    parts.push(key);
    value = next;
  }
  if (typeof value === 'string') parts.push(value);
  // `session` only groups the states that hold a connection; leave it out of what people read.
  return (parts[0] === 'session' ? parts.slice(1) : parts).join('.');
}

export function describeCapabilities(caps: ServerCapabilities): string {
  const out: string[] = [];
  for (const key of ['tools', 'resources', 'prompts'] as const) {
    const cap = caps[key] as { listChanged?: boolean; subscribe?: boolean } | undefined;
    if (!cap) continue;
    const flags = [cap.listChanged ? 'listChanged' : '', cap.subscribe ? 'subscribe' : ''].filter(Boolean);
    out.push(flags.length ? `${key} (${flags.join(', ')})` : key);
  }
  for (const key of ['logging', 'completions', 'experimental', 'tasks'] as const) if (caps[key]) out.push(key);
  return out.length ? out.join(', ') : 'none';
}

function streamText(phase: StreamPhase, detail: string | undefined): string {
  switch (phase) {
    case 'open':
      return 'open (server-to-client notifications flow)';
    case 'unsupported':
      return `not offered (${detail ?? 'the server answered 405'})`;
    case 'waiting':
      return `not open, retrying${detail ? ` (${detail})` : ''}`;
    default:
      return phase;
  }
}

export function createProbeOutput(
  json: boolean,
  out: Write,
  err: Write,
  startedAt: number,
  now: () => number,
): ProbeOutput {
  const t = () => ((now() - startedAt) / 1000).toFixed(3);
  const line = (obj: Record<string, unknown>) => out(`${JSON.stringify({ t: Number(t()), ...obj })}\n`);
  if (json) {
    return {
      start: (url, transport) => line({ type: 'start', url, transport }),
      state: (label, detail) => line({ type: 'state', state: label, ...(detail ? { detail } : {}) }),
      stream: (phase, detail) => line({ type: 'stream', stream: phase, ...(detail ? { detail } : {}) }),
      ready: (s) =>
        line({
          type: 'ready',
          protocolVersion: s.session.protocolVersion,
          transport: s.session.transport,
          ...(s.era ? { era: { era: s.era.era, reason: s.era.reason } } : {}),
          server: s.session.serverInfo,
          sessionId: s.session.sessionId
            ? { granted: true, fingerprint: fingerprint(s.session.sessionId) }
            : { granted: false },
          getStream: { phase: s.stream, ...(s.streamDetail ? { detail: s.streamDetail } : {}) },
          capabilities: s.session.capabilities,
          lists: {
            tools: s.lists.tools.map((x) => x.name),
            resources: s.lists.resources.map((x) => x.uri),
            resourceTemplates: s.lists.resourceTemplates.map((x) => x.uriTemplate),
            prompts: s.lists.prompts.map((x) => x.name),
          },
        }),
      listsChanged: (changed, lists) => line({ type: 'listsChanged', changed, tools: lists.tools.map((x) => x.name) }),
      call: (tool, result) => line({ type: 'call', tool, result }),
      callFailed: (tool, message) => line({ type: 'callFailed', tool, message }),
      fail: (message) => line({ type: 'error', message }),
      closed: () => line({ type: 'closed' }),
    };
  }
  return {
    start: (url, transport) => out(`mcpre probe ${url} (${transport})\n`),
    state: (label, detail) => out(`  +${t()}s  ${label}${detail ? `: ${detail}` : ''}\n`),
    stream: (phase, detail) => out(`  +${t()}s  GET stream: ${streamText(phase, detail)}\n`),
    ready: (s) => {
      const { session, lists } = s;
      out(
        `ready: protocol ${session.protocolVersion} over ${session.transport}; server ${session.serverInfo.name} ${session.serverInfo.version}\n`,
      );
      if (s.era) out(`  era: ${s.era.era} (${s.era.reason})\n`);
      out(
        `  session id: ${session.sessionId ? `granted (fingerprint ${fingerprint(session.sessionId)})` : 'none (stateless server)'}\n`,
      );
      out(`  GET stream: ${streamText(s.stream, s.streamDetail)}\n`);
      out(`  capabilities: ${describeCapabilities(session.capabilities)}\n`);
      if (session.capabilities.tools)
        out(`  tools (${lists.tools.length}): ${lists.tools.map((x) => x.name).join(', ')}\n`);
      if (session.capabilities.resources) {
        out(`  resources (${lists.resources.length}), resource templates (${lists.resourceTemplates.length})\n`);
      }
      if (session.capabilities.prompts) {
        out(`  prompts (${lists.prompts.length}): ${lists.prompts.map((x) => x.name).join(', ')}\n`);
      }
    },
    listsChanged: (changed, lists) =>
      out(
        `  +${t()}s  lists changed: ${changed.join(', ')} (tools now: ${lists.tools.map((x) => x.name).join(', ')})\n`,
      ),
    call: (tool, result) => {
      out(`call ${tool}: ${result.isError ? 'the tool reported an error' : 'ok'}\n`);
      for (const item of (result.content as Array<Record<string, unknown>> | undefined) ?? []) {
        out(
          item.type === 'text'
            ? `  text: ${String(item.text)}\n`
            : `  ${item.type}: ${JSON.stringify(item).slice(0, 500)}\n`,
        );
      }
      if (result.structuredContent !== undefined) out(`  structured: ${JSON.stringify(result.structuredContent)}\n`);
    },
    callFailed: (tool, message) => err(`mcpre probe: calling ${tool} failed: ${message}\n`),
    fail: (message) => err(`mcpre probe: ${message}\n`),
    closed: () => {
      // The transition to `closed` was printed already.
    },
  };
}
