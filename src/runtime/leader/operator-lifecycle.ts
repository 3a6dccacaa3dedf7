// The life of an `mcpre operator` process around its controllers:
//   standby   (with leader election) wait for the Lease; nothing is watched or written
//   leading   start the controllers (informers, actors); lose the Lease -> exit(1) at once, before another replica
//             may take over (the renew deadline is shorter than the Lease duration)
//   stopping  first SIGTERM/SIGINT: stop watching, drain in-flight writes (bounded), then release the Lease so a
//             standby takes over on its next retry instead of waiting for expiry; a second signal exits at once
// It also answers the probes: /readyz is ready on standby (a standby is healthy, and a rolling update needs the new
// pod ready before the old one is stopped and releases the Lease) and, when leading, once every cache has synced.
import type { Logger } from 'pino';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import type { NamedCheck } from '../metrics/probe-server.ts';
import type { LeaderElector } from './leader-elector.ts';

export interface Controllers {
  /** Resolves once every informer has synced. */
  ready: Promise<void>;
  /** Stop watching, let in-flight work finish within the grace period, stop. */
  stop(): Promise<void>;
}

/** process, or an EventEmitter in tests. */
export interface SignalSource {
  // biome-ignore lint/suspicious/noExplicitAny: process.on's overloads and EventEmitter's listener types meet only here
  on(event: string, listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  off(event: string, listener: (...args: any[]) => void): unknown;
}

export interface LifecycleOptions {
  logger: Logger;
  metrics: OperatorMetrics;
  /** Undefined without leader election: the process reconciles from the start. */
  elector?: LeaderElector;
  startControllers: () => Controllers;
  /** Closes the API connection pool the controllers and the Lease share, once both are done with it. */
  closeTransport?: () => Promise<void>;
  /** process.exit in production. */
  exit: (code: number) => void;
  /** Where SIGTERM/SIGINT come from (process in production). */
  signals?: SignalSource;
}

export type Phase = 'standby' | 'leading' | 'stopping' | 'stopped';

export interface Lifecycle {
  phase(): Phase;
  liveness: NamedCheck[];
  readiness: NamedCheck[];
  /** Resolves when the process may exit (after a signal, everything drained and the Lease released). */
  done: Promise<void>;
}

export function runLifecycle(opts: LifecycleOptions): Lifecycle {
  const { logger: log, metrics, elector } = opts;
  const signals = opts.signals ?? process;
  let phase: Phase = elector ? 'standby' : 'leading';
  let synced = false;
  let startError: string | undefined;

  let stopRequested!: () => void;
  const stopping = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting now');
      opts.exit(1);
      return;
    }
    signalled = true;
    log.info({ signal, phase }, 'shutting down');
    stopRequested();
  };
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);

  // While the API connection pools close, a ClientDestroyedError can surface on an HTTP/2 stream that no request
  // reads any more: an answer that arrived after its request was aborted, if the stream was not reset (the case
  // test/unit/kube/kube-http-late-answer.test.ts pins on the undici in use). It is teardown noise and must not turn a
  // clean stop, which still has the Lease to release, into a crash. Anything else still ends the process.
  const onTeardownError = (err: Error) => {
    if ((err as { code?: string }).code === 'UND_ERR_DESTROYED') {
      log.warn({ err: err.message }, 'ignored an HTTP/2 stream error from a connection pool closed during shutdown');
      return;
    }
    log.fatal({ err: String(err), stack: err.stack }, 'uncaught exception');
    opts.exit(1);
  };

  const done = (async () => {
    // Timers of the runtime do not hold the process open (src/runtime/clock.ts); during shutdown this does, so an
    // orderly stop is never cut short by an empty event loop.
    let keepAlive: NodeJS.Timeout | undefined;
    try {
      if (elector) {
        log.info({ identity: elector.identity }, 'waiting for the operator Lease');
        await Promise.race([elector.leading, stopping]);
        if (signalled) {
          keepAlive = setInterval(() => undefined, 1000);
          phase = 'stopping';
          signals.on('uncaughtException', onTeardownError);
          await elector.release();
          await opts.closeTransport?.();
          return;
        }
        metrics.becameLeader.inc();
        elector.onLost(() => {
          log.error(
            { identity: elector.identity, holder: elector.holder() },
            'lost the operator Lease; exiting at once so that only the new leader writes',
          );
          metrics.leader.set(0);
          opts.exit(1);
        });
      }
      phase = 'leading';
      metrics.leader.set(1);
      const controllers = opts.startControllers();
      controllers.ready.then(
        () => {
          synced = true;
          log.info('ready');
        },
        (err: unknown) => {
          startError = err instanceof Error ? err.message : String(err);
          log.error({ err: startError }, 'operator failed to start');
        },
      );
      await stopping;
      keepAlive = setInterval(() => undefined, 1000);
      phase = 'stopping';
      signals.on('uncaughtException', onTeardownError);
      await controllers.stop().catch((err: unknown) => log.error({ err: String(err) }, 'error during shutdown'));
      metrics.leader.set(0);
      log.info('stopped');
      if (elector) {
        await elector.release();
        log.info({ identity: elector.identity }, 'released the operator Lease');
      }
      await opts.closeTransport?.();
    } finally {
      phase = 'stopped';
      signals.off('uncaughtException', onTeardownError);
      signals.off('SIGTERM', onSignal);
      signals.off('SIGINT', onSignal);
      clearInterval(keepAlive);
    }
  })();

  const liveness: NamedCheck[] = [
    {
      name: 'controllers',
      check: () => (startError ? { ok: false, detail: `failed to start: ${startError}` } : { ok: true, detail: phase }),
    },
  ];
  const readiness: NamedCheck[] = [
    {
      name: 'informers',
      check: () => {
        if (phase === 'standby') return { ok: true, detail: 'standby: nothing to sync until this replica leads' };
        if (synced) return { ok: true, detail: 'every cache synced' };
        return { ok: false, detail: startError ? `failed: ${startError}` : 'caches are syncing' };
      },
    },
  ];
  if (elector) {
    readiness.push({
      name: 'lease',
      check: () => {
        if (elector.isLeader()) return { ok: true, detail: `held by this replica (${elector.identity})` };
        const err = elector.lastError();
        if (phase === 'standby' && err) return { ok: false, detail: `cannot read or write the Lease: ${err}` };
        return { ok: true, detail: `standby; held by ${elector.holder() ?? 'nobody'}` };
      },
    });
  }
  return { phase: () => phase, liveness, readiness, done };
}
