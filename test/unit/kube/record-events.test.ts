// The recordEvents effect handed to a runner (detach): the actor is done at once, the Events go out when the runner
// sends them, in order, with bodies built only then, and a failure reaches onError instead of the actor.

import { describe, expect, it } from 'vitest';
import { createActor, toPromise } from 'xstate';
import type { KubeRequest } from '../../../src/actors/kube/kube-api.ts';
import { recordEndpointEvents } from '../../../src/actors/kube/record-events.ts';
import type { RecordEventsInput } from '../../../src/machines/endpoint-context.ts';

const input: RecordEventsInput = {
  endpoint: { namespace: 'ns', name: 'e', uid: 'u1', resourceVersion: '7' },
  events: [
    { type: 'Warning', reason: 'GroupNotFound', note: 'MCPGroup "g" does not exist', action: 'Validate' },
    { type: 'Normal', reason: 'Ready', note: 'ok', action: 'Ready' },
  ],
};

function setup(fail?: string) {
  const sent: { reason: unknown; eventTime: unknown }[] = [];
  const errors: unknown[] = [];
  const held: (() => Promise<void>)[] = [];
  let clock = 0;
  const logic = recordEndpointEvents({
    api: {
      request: async <T>(req: KubeRequest) => {
        const body = req.body as { reason: string; eventTime: string };
        if (body.reason === fail) throw new Error(`refused ${fail}`);
        sent.push({ reason: body.reason, eventTime: body.eventTime });
        return undefined as T;
      },
    },
    now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, clock)).toISOString(),
    instance: 'test',
    uniqueSuffix: () => String(clock),
    onError: (err) => errors.push(String(err)),
    detach: (send) => held.push(send),
  });
  const advance = (seconds: number) => {
    clock += seconds;
  };
  return { logic, sent, errors, held, advance };
}

describe('recordEndpointEvents with a runner', () => {
  it('is done before anything is sent, and builds each body when the runner sends it', async () => {
    const { logic, sent, held, advance } = setup();
    const actor = createActor(logic, { input });
    actor.start();
    await toPromise(actor);
    expect(sent).toEqual([]);
    expect(held).toHaveLength(1);
    advance(5);
    await held[0]?.();
    expect(sent).toEqual([
      { reason: 'GroupNotFound', eventTime: '2026-01-01T00:00:05.000000Z' },
      { reason: 'Ready', eventTime: '2026-01-01T00:00:05.000000Z' },
    ]);
  });

  it('stops at a refused Event and tells onError, without failing the actor', async () => {
    const { logic, sent, errors, held } = setup('GroupNotFound');
    const actor = createActor(logic, { input });
    actor.start();
    await toPromise(actor);
    await held[0]?.();
    expect(sent).toEqual([]);
    expect(errors).toEqual(['Error: refused GroupNotFound']);
  });
});
