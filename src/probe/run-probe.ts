// `mcpre probe`: one backend session actor against one remote, printed state by state. The user's first tool when a
// remote misbehaves, so every way it can end says why. Exit codes: 0 ready (and the call, if any, succeeded);
// 1 the session did not become ready (failed, circuit open, or timed out); 2 bad usage; 3 the tool call failed.
import pino from 'pino';
import { buildOutgoingAuth } from '../actors/mcp/auth/outgoing-auth.ts';
import { MCP_LOG_REDACT_PATHS } from '../actors/mcp/log.ts';
import { redactLogLine } from '../actors/mcp/redactor.ts';
import { type BackendSessionActor, withBackendSession } from '../machines/backend-session-requests.ts';
import {
  type BackendSessionSnapshot,
  type SessionPhase,
  sessionPhase,
  sessionReason,
  streamPhase,
} from '../machines/backend-session-status.ts';
import { systemClock } from '../runtime/clock.ts';
import { startBackendSession } from '../runtime/start-backend-session.ts';
import { answerWithDefaults, ELICIT_DEFAULTS_CAPABILITIES } from './elicit-defaults.ts';
import { type ProbeOptions, ProbeUsageError, parseProbeOptions } from './probe-options.ts';
import { createProbeOutput, type ProbeOutput, statePath } from './probe-output.ts';

export async function runProbe(url: string, raw: Record<string, unknown>): Promise<number> {
  let options: ProbeOptions;
  try {
    options = await parseProbeOptions(url, raw);
  } catch (err) {
    if (!(err instanceof ProbeUsageError)) throw err;
    process.stderr.write(`mcpre probe: ${err.message}\n`);
    return 2;
  }
  const out = createProbeOutput(
    options.json,
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
    systemClock.now(),
    systemClock.now,
  );
  const log = pino(
    {
      level: options.logLevel,
      redact: { paths: MCP_LOG_REDACT_PATHS, censor: '[Redacted]' },
      hooks: { streamWrite: redactLogLine },
    },
    pino.destination(2),
  );
  const outgoing = buildOutgoingAuth({
    headers: options.headers.map((h) => ({ ...h, source: '--header' })),
    auth: { type: 'unauthenticated' },
  });
  // parseProbeOptions applied the same rule; a refusal here would be a bug, said as plainly as a usage error.
  if (!outgoing.ok) {
    process.stderr.write(`mcpre probe: ${outgoing.problem}\n`);
    return 2;
  }
  out.start(url, options.transport);
  const session = startBackendSession({
    backendId: 'probe',
    url,
    transport: options.transport,
    auth: outgoing.setup.forSession(),
    caBundlePem: options.caBundlePem,
    caBundleSource: options.caBundleSource ? `--ca-bundle ${options.caBundleSource}` : undefined,
    log,
    ...(options.elicitDefaults
      ? { capabilities: ELICIT_DEFAULTS_CAPABILITIES, onUnrelatedServerRequest: answerWithDefaults }
      : {}),
  });
  const { actor } = session;
  printTransitions(actor, out);
  actor.on('lists.changed', (e) => {
    if (readyAnnounced) out.listsChanged(e.changed, e.lists);
  });
  let readyAnnounced = false;

  const stopOnSignal = new AbortController();
  const onSignal = () => stopOnSignal.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const outcome = await waitForOutcome(actor, options.timeoutMs, stopOnSignal.signal);
    if (outcome !== 'ready') {
      const snapshot = actor.getSnapshot();
      const reason = sessionReason(snapshot);
      out.fail(
        outcome === 'timeout'
          ? `the session was not ready after ${options.timeoutMs} ms (${sessionPhase(snapshot)}${reason ? `: ${reason}` : ''}); raise --timeout or check the URL and transport${hint(snapshot)}`
          : outcome === 'interrupted'
            ? 'interrupted'
            : `the session did not become ready (${outcome}): ${reason ?? 'no reason recorded'}${hint(snapshot)}`,
      );
      return 1;
    }
    await settleStream(actor, 3000);
    const snapshot = actor.getSnapshot();
    const ctx = snapshot.context;
    if (!ctx.session) throw new Error('ready without session info');
    out.ready({
      session: ctx.session,
      era: ctx.era,
      lists: ctx.lists,
      stream: streamPhase(snapshot),
      streamDetail: ctx.stream.unsupportedReason ?? ctx.stream.lastProblem?.message,
    });
    readyAnnounced = true;

    let code = 0;
    if (options.call) {
      const { tool, args } = options.call;
      try {
        const { result } = await withBackendSession(
          actor,
          (c) =>
            c.request(
              'tools/call',
              { name: tool, arguments: args },
              {
                timeoutMs: options.timeoutMs,
                ...(options.elicitDefaults ? { onServerRequest: answerWithDefaults } : {}),
              },
            ),
          { signal: stopOnSignal.signal },
        );
        out.call(tool, result);
        if (result.isError === true) code = 3;
      } catch (err) {
        out.callFailed(tool, err instanceof Error ? err.message : String(err));
        code = 3;
      }
    }
    if (options.watchMs !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.watchMs);
        stopOnSignal.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await session.stop();
    out.closed();
  }
}

function printTransitions(actor: BackendSessionActor, out: ProbeOutput): void {
  let lastState = '';
  let lastStream = '';
  const onSnapshot = (snapshot: BackendSessionSnapshot) => {
    const state = statePath(snapshot);
    if (state !== lastState) {
      lastState = state;
      const phase = sessionPhase(snapshot);
      const detail =
        phase === 'backoff' || phase === 'failed' || state === 'unavailable.waiting' || state === 'reinitializing'
          ? sessionReason(snapshot)
          : undefined;
      out.state(state, detail);
    }
    const stream = streamPhase(snapshot);
    if (stream !== lastStream) {
      lastStream = stream;
      if (stream !== 'none') {
        const ctx = snapshot.context.stream;
        out.stream(
          stream,
          stream === 'unsupported'
            ? ctx.unsupportedReason
            : stream === 'waiting'
              ? ctx.lastProblem?.message
              : undefined,
        );
      }
    }
  };
  onSnapshot(actor.getSnapshot());
  actor.subscribe(onSnapshot);
}

type Outcome = Exclude<SessionPhase, 'connecting' | 'reinitializing' | 'backoff'> | 'timeout' | 'interrupted';

/** Ready, or a reason to stop waiting: failed, circuit open (5 failed attempts), closed, timeout or Ctrl-C. */
function waitForOutcome(actor: BackendSessionActor, timeoutMs: number, signal: AbortSignal): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      sub.unsubscribe();
      resolve(outcome);
    };
    const check = (snapshot: BackendSessionSnapshot) => {
      const phase = sessionPhase(snapshot);
      if (phase === 'ready' || phase === 'failed' || phase === 'unavailable' || phase === 'closed') done(phase);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    signal.addEventListener('abort', () => done('interrupted'), { once: true });
    const sub = actor.subscribe(check);
    check(actor.getSnapshot());
  });
}

/** Give the GET stream a moment to open or be declined, so the summary can say which. */
function settleStream(actor: BackendSessionActor, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const settled = (s: BackendSessionSnapshot) => !['opening', 'resuming'].includes(streamPhase(s));
    if (settled(actor.getSnapshot())) return resolve();
    const timer = setTimeout(finish, timeoutMs);
    const sub = actor.subscribe((s) => {
      if (settled(s)) finish();
    });
    function finish() {
      clearTimeout(timer);
      sub.unsubscribe();
      resolve();
    }
  });
}

/** A next step for the common ways a probe fails. */
function hint(snapshot: BackendSessionSnapshot): string {
  const failure = snapshot.context.lastFailure;
  if (!failure) return '';
  if (failure.kind === 'unsupportedProtocol') return '';
  if (failure.status === 404 || failure.status === 405 || failure.status === 400) {
    return '\n  hint: if this server speaks the older HTTP+SSE transport, try --transport sse with its /sse URL';
  }
  if (failure.status === 401 || failure.status === 403)
    return '\n  hint: the server wants credentials: add --header NAME=VALUE';
  if (/certificate|CERT_|self.signed|UNABLE_TO_VERIFY/i.test(failure.message)) {
    return "\n  hint: the server's certificate is not trusted: pass its CA with --ca-bundle FILE";
  }
  return '';
}
