// The Redis session bus while Redis is unreachable: every signal still reaches this replica's own listeners, a
// parked-call message fails to its sender, and the outage is logged once when it begins and once when it ends, not
// for every signal or heartbeat. Redis itself is faked: a client whose PUBLISH fails or succeeds on demand.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RedisBus } from '../../../src/gateway/sessions/redis-bus.ts';
import type { SessionSignal } from '../../../src/gateway/sessions/store.ts';
import type { RedisConnection } from '../../../src/runtime/redis-connection.ts';

function fakeRedis() {
  const state = { down: true, receivers: 1 };
  const connection = {
    client: {
      publish: async () => {
        if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
        return state.receivers;
      },
    },
    subscribe: () => () => {},
    describe: (err: unknown) => (err instanceof Error ? err.message : String(err)),
  } as unknown as RedisConnection;
  return { state, connection };
}

describe('RedisBus while Redis is unreachable', () => {
  it('delivers locally, fails addressed messages, and logs the outage once at its start and once at its end', async () => {
    const { state, connection } = fakeRedis();
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const bus = new RedisBus({ connection, prefix: 'mcpre:', logger, onEnded: () => {} });
    const heard: SessionSignal[] = [];
    bus.subscribe((s) => heard.push(s));
    const outage = async () => {
      for (let i = 0; i < 5; i++) {
        await bus.publish({ type: 'resource-updated', session: 's', uri: `u:${i}` });
        await expect(bus.sendTo('holder', `r.${i}`, { kind: 'alive' })).rejects.toThrow(/ECONNREFUSED/);
      }
    };
    await outage();
    expect(heard).toHaveLength(5);
    const warned = () => lines.filter((l) => l.level === 40 && l.msg.startsWith('session store unreachable'));
    expect(warned()).toHaveLength(1);
    state.down = false;
    expect(await bus.sendTo('holder', 'r.9', { kind: 'alive' })).toBe(true);
    state.receivers = 0;
    expect(await bus.sendTo('gone', 'r.10', { kind: 'alive' })).toBe(false);
    expect(lines.filter((l) => l.msg === 'session bus reachable again')).toHaveLength(1);
    state.down = true;
    await outage();
    expect(warned()).toHaveLength(2);
  });
});
