// RequestSlots must answer exactly as a Map of the same ids would, whatever the ids and the order of completion.
import { describe, expect, it } from 'vitest';
import { RequestSlots } from '../../../src/actors/mcp/request-slots.ts';
import { seededRng } from '../../../src/runtime/random.ts';

type Id = string | number;

function expectSame(slots: RequestSlots<string>, model: Map<Id, string>, probes: Id[]): void {
  expect(slots.size).toBe(model.size);
  expect([...slots.values()].sort()).toEqual([...model.values()].sort());
  for (const id of probes) {
    expect(slots.get(id)).toBe(model.get(id));
    expect(slots.has(id)).toBe(model.has(id));
  }
}

describe('RequestSlots', () => {
  it('keeps 1 and "1" apart, and ids that share a slot', () => {
    const slots = new RequestSlots<string>(2, 4);
    slots.set(1, 'number');
    slots.set('1', 'string');
    slots.set(5, 'five'); // 5 % 4 === 1 % 4 once grown: overflow
    slots.set(3, 'three');
    const model = new Map<Id, string>([
      [1, 'number'],
      ['1', 'string'],
      [5, 'five'],
      [3, 'three'],
    ]);
    expectSame(slots, model, [1, '1', 5, 3, 7, 9, '5']);
    expect(slots.delete(1)).toBe(true);
    expect(slots.delete(1)).toBe(false);
    model.delete(1);
    // 9 takes the slot 1 left while 5 is still in the overflow: both stay found, and 5 is not stored twice.
    slots.set(9, 'nine');
    slots.set(5, 'five again');
    model.set(9, 'nine').set(5, 'five again');
    expectSame(slots, model, [1, '1', 5, 3, 9]);
    slots.clear();
    expectSame(slots, new Map(), [1, '1', 5, 3, 9]);
  });

  it('stores an id once when it is set again after its slot freed while it waited in the overflow', () => {
    const slots = new RequestSlots<string>(2, 4);
    slots.set(1, 'one');
    slots.set(5, 'b'); // slot 1 is taken and the array cannot grow: overflow
    slots.delete(1);
    slots.set(5, 'c'); // a client reusing an id still in flight
    expectSame(slots, new Map<Id, string>([[5, 'c']]), [1, 5]);
    slots.delete(5);
    expectSame(slots, new Map(), [1, 5]);
  });

  it('refuses lengths that are not powers of two (a slot is the low bits of an id)', () => {
    expect(() => new RequestSlots(6, 64)).toThrow(/powers of two/);
    expect(() => new RequestSlots(8, 48)).toThrow(/powers of two/);
    expect(() => new RequestSlots(16, 8)).toThrow(/max >= initial/);
  });

  it('answers as a Map over a long run of calls completing in any order', () => {
    const rng = seededRng(14);
    const slots = new RequestSlots<string>(4, 64);
    const model = new Map<Id, string>();
    const odd: Id[] = [-1, 0.5, 2 ** 53, 'a', '7', 2 ** 40 + 3];
    let next = 0;
    for (let step = 0; step < 20_000; step++) {
      const r = rng.next();
      if (r < 0.45 || model.size === 0) {
        // A new request: mostly the next counted id, sometimes an odd one, sometimes an id still in flight again.
        const pickOld = rng.next() < 0.05 && model.size > 0;
        const inFlight = pickOld ? ([...model.keys()][Math.floor(rng.next() * model.size)] as Id) : undefined;
        const id = inFlight ?? (rng.next() < 0.05 ? (odd[Math.floor(rng.next() * odd.length)] as Id) : next++);
        slots.set(id, `v${step}`);
        model.set(id, `v${step}`);
      } else {
        // An answer: any request in flight, most often one of the newest (a few stay in flight for long).
        const ids = [...model.keys()];
        const pick = rng.next() < 0.9 ? ids.length - 1 - Math.floor(rng.next() * Math.min(4, ids.length)) : 0;
        const id = ids[pick] as Id;
        expect(slots.delete(id)).toBe(model.delete(id));
      }
      if (step % 97 === 0) expectSame(slots, model, [...odd, next - 1, next, next + 64, '1']);
    }
    expectSame(slots, model, [...model.keys(), ...odd]);
  });
});
