// The operator process lifecycle with fakes: standby waits and reports ready, leading starts the controllers and is
// ready only once they synced, losing the Lease exits at once, SIGTERM drains before releasing, a second signal exits.
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { leaseNamespace, runOperator } from '../../../src/controllers/endpoint/run.ts';
import type { LeaderElector } from '../../../src/runtime/leader/leader-elector.ts';
import { validateLeaseSettings } from '../../../src/runtime/leader/leader-elector.ts';
import { runLifecycle } from '../../../src/runtime/leader/operator-lifecycle.ts';
import { OperatorMetrics } from '../../../src/runtime/metrics/operator-metrics.ts';
import { renderChecks } from '../../../src/runtime/metrics/probe-server.ts';
import { until } from '../../support/eventually.ts';

function fakeElector() {
  let resolveLeading!: () => void;
  const lost: Array<() => void> = [];
  const log: string[] = [];
  const e = {
    identity: 'me',
    leader: false,
    error: null as string | null,
    leading: new Promise<void>((r) => {
      resolveLeading = r;
    }),
    isLeader: () => e.leader,
    onLost: (l: () => void) => lost.push(l),
    holder: () => (e.leader ? 'me' : 'other'),
    lastError: () => e.error,
    release: async () => {
      log.push('release');
    },
    lead() {
      e.leader = true;
      resolveLeading();
    },
    lose() {
      e.leader = false;
      for (const l of lost) l();
    },
    log,
  };
  return e;
}

/** Controllers whose drain runs until the test ends it, so a test can act while the lifecycle is stopping. */
function fakeControllers(log: string[]) {
  let resolveReady!: () => void;
  let finishDrain!: () => void;
  const drained = new Promise<void>((r) => {
    finishDrain = r;
  });
  const c = {
    started: 0,
    draining: false,
    ready: new Promise<void>((r) => {
      resolveReady = r;
    }),
    sync: () => resolveReady(),
    finishDrain: () => finishDrain(),
    async stop() {
      log.push('drain start');
      c.draining = true;
      await drained;
      log.push('drain end');
    },
  };
  return c;
}

const draining = (c: { draining: boolean }) => until('the controllers to drain', () => c.draining);

const started = (c: { started: number }) => until('the controllers to start', () => c.started === 1);
const ready = (l: ReturnType<typeof runLifecycle>) => renderChecks(l.readiness);

function setup() {
  const elector = fakeElector();
  const controllers = fakeControllers(elector.log);
  const signals = new EventEmitter();
  const exits: number[] = [];
  const metrics = new OperatorMetrics({ defaultMetrics: false });
  const lifecycle = runLifecycle({
    logger: pino({ level: 'silent' }),
    metrics,
    elector: elector as unknown as LeaderElector,
    startControllers: () => {
      controllers.started += 1;
      return controllers;
    },
    exit: (code) => void exits.push(code),
    signals,
  });
  return { elector, controllers, signals, exits, metrics, lifecycle };
}

describe('operator lifecycle', () => {
  it('standby: no controllers, ready (a standby is healthy), not ready when the Lease cannot be reached', async () => {
    const { elector, controllers, lifecycle } = setup();
    expect(lifecycle.phase()).toBe('standby');
    expect(controllers.started).toBe(0);
    expect(ready(lifecycle).status).toBe(200);
    elector.error = 'connect ECONNREFUSED';
    expect(ready(lifecycle)).toMatchObject({ status: 503 });
    expect(ready(lifecycle).body).toContain('[-]lease failed: cannot read or write the Lease: connect ECONNREFUSED');
  });

  it('leading: controllers start once; ready only after they synced; leader gauge set', async () => {
    const { elector, controllers, lifecycle, metrics } = setup();
    elector.lead();
    await started(controllers);
    expect(lifecycle.phase()).toBe('leading');
    expect(ready(lifecycle).status).toBe(503);
    expect(ready(lifecycle).body).toContain('caches are syncing');
    controllers.sync();
    await until('ready once the caches synced', () => ready(lifecycle).status === 200);
    expect((await metrics.leader.get()).values[0]?.value).toBe(1);
    expect((await metrics.becameLeader.get()).values[0]?.value).toBe(1);
  });

  it('losing the Lease exits 1 at once', async () => {
    const { elector, controllers, exits } = setup();
    elector.lead();
    await started(controllers);
    elector.lose();
    expect(exits).toEqual([1]);
  });

  it('SIGTERM drains the controllers, then releases the Lease; a second signal exits 1', async () => {
    const { elector, controllers, signals, exits, lifecycle } = setup();
    elector.lead();
    await started(controllers);
    controllers.sync();
    signals.emit('SIGTERM', 'SIGTERM');
    await draining(controllers);
    expect(elector.log).toEqual(['drain start']);
    controllers.finishDrain();
    await lifecycle.done;
    expect(elector.log).toEqual(['drain start', 'drain end', 'release']);
    expect(exits).toEqual([]);
    expect(lifecycle.phase()).toBe('stopped');

    const other = setup();
    other.elector.lead();
    await started(other.controllers);
    other.signals.emit('SIGTERM', 'SIGTERM');
    other.signals.emit('SIGINT', 'SIGINT');
    expect(other.exits).toEqual([1]);
    other.controllers.finishDrain();
    await other.lifecycle.done;
  });

  it('SIGTERM on standby releases without ever starting the controllers', async () => {
    const { elector, controllers, signals, lifecycle } = setup();
    signals.emit('SIGTERM', 'SIGTERM');
    await lifecycle.done;
    expect(controllers.started).toBe(0);
    expect(elector.log).toEqual(['release']);
  });

  it('a teardown ClientDestroyedError is logged, any other uncaught error exits 1', async () => {
    const { elector, controllers, signals, exits, lifecycle } = setup();
    elector.lead();
    await started(controllers);
    signals.emit('SIGTERM', 'SIGTERM');
    await draining(controllers);
    expect(lifecycle.phase()).toBe('stopping');
    signals.emit(
      'uncaughtException',
      Object.assign(new Error('The client is destroyed'), { code: 'UND_ERR_DESTROYED' }),
    );
    expect(exits).toEqual([]);
    signals.emit('uncaughtException', new Error('boom'));
    expect(exits).toEqual([1]);
    controllers.finishDrain();
    await lifecycle.done;
  });
});

describe('lease settings', () => {
  it('rejects a renew deadline not shorter than the duration, and a retry period not shorter than the deadline', () => {
    const ok = { namespace: 'n', name: 'l', durationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };
    expect(() => validateLeaseSettings(ok)).not.toThrow();
    expect(() => validateLeaseSettings({ ...ok, renewDeadlineSeconds: 15 })).toThrow(
      /must be shorter than --lease-duration/,
    );
    expect(() => validateLeaseSettings({ ...ok, retryPeriodSeconds: 10 })).toThrow(
      /must be shorter than --renew-deadline/,
    );
    expect(() => validateLeaseSettings({ ...ok, durationSeconds: 1.5 })).toThrow(/whole seconds/);
  });

  it('finds the Lease namespace from the flag, then POD_NAMESPACE, then --namespace', () => {
    const base = { logLevel: 'info', writeConcurrency: '1', resync: '600' };
    expect(leaseNamespace({ ...base, leaseNamespace: 'a', namespace: 'c' }, { POD_NAMESPACE: 'b' })).toBe('a');
    expect(leaseNamespace({ ...base, namespace: 'c' }, { POD_NAMESPACE: 'b' })).toBe('b');
    expect(leaseNamespace({ ...base, namespace: 'c' }, {})).toBe('c');
    expect(() => leaseNamespace(base, {})).toThrow(/--leader-elect needs the namespace of its Lease/);
  });

  it('refuses a --write-rate that is not a whole number of writes per second', async () => {
    const base = { logLevel: 'info', writeConcurrency: '1', resync: '600', kubeconfig: '/nonexistent' };
    for (const writeRate of ['-1', '1.5', 'fast'])
      await expect(runOperator({ ...base, writeRate })).rejects.toThrow(/--write-rate .*: use a whole number/);
    // A valid rate passes validation and fails only at the missing kubeconfig.
    await expect(runOperator({ ...base, writeRate: '50' })).rejects.toThrow(/--kubeconfig \/nonexistent: no such file/);
  });
});
