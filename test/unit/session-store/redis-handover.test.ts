// The pub/sub handover between an old and a new Redis connection (src/runtime/redis-handover.ts), driven message by
// message: each message of the overlap is delivered once and in order, whichever connection brings the mark first.
import { describe, expect, it } from 'vitest';
import { isHandoverMark, PubsubHandover } from '../../../src/runtime/redis-handover.ts';

const OLD = 'old';
const NEXT = 'next';

function start(channels: string[]) {
  const delivered: string[] = [];
  const events: string[] = [];
  const handover = new PubsubHandover(OLD, NEXT, channels, {
    deliver: (channel, message) => delivered.push(`${channel}:${message}`),
    oldDone: () => events.push('oldDone'),
    done: () => events.push('done'),
  });
  const mark = (channel: string) => handover.marks.get(channel)!;
  return { handover, delivered, events, mark };
}

describe('PubsubHandover', () => {
  it('delivers the old stream up to its mark and the new one after, when the old reaches the mark first', () => {
    const { handover, delivered, events, mark } = start(['a']);
    // Both are subscribed: messages 1 and 2 come on both before the mark, 3 and 4 after it.
    handover.receive(NEXT, 'a', '1');
    handover.receive(OLD, 'a', '1');
    handover.receive(OLD, 'a', '2');
    handover.receive(OLD, 'a', mark('a'));
    expect(events).toEqual(['oldDone']);
    handover.receive(NEXT, 'a', '2');
    handover.receive(NEXT, 'a', mark('a'));
    expect(events).toEqual(['oldDone', 'done']);
    handover.receive(NEXT, 'a', '3');
    handover.receive(OLD, 'a', '3');
    handover.receive(NEXT, 'a', '4');
    expect(delivered).toEqual(['a:1', 'a:2', 'a:3', 'a:4']);
  });

  it('holds what the new stream brings after its mark until the old one reaches it, so the order stays', () => {
    const { handover, delivered, mark } = start(['a']);
    handover.receive(NEXT, 'a', '1');
    handover.receive(NEXT, 'a', mark('a'));
    handover.receive(NEXT, 'a', '2');
    handover.receive(NEXT, 'a', '3');
    expect(delivered).toEqual([]);
    handover.receive(OLD, 'a', '1');
    expect(delivered).toEqual(['a:1']);
    handover.receive(OLD, 'a', mark('a'));
    expect(delivered).toEqual(['a:1', 'a:2', 'a:3']);
  });

  it('is done only when both streams met on every channel; a channel subscribed meanwhile is the new stream alone', () => {
    const { handover, delivered, events, mark } = start(['a', 'b']);
    handover.receive(OLD, 'a', mark('a'));
    handover.receive(NEXT, 'a', mark('a'));
    expect(events).toEqual([]);
    handover.receive(NEXT, 'c', 'x');
    handover.receive(OLD, 'c', 'y');
    handover.receive(OLD, 'b', mark('b'));
    handover.receive(NEXT, 'b', mark('b'));
    expect(events).toEqual(['oldDone', 'done']);
    expect(delivered).toEqual(['c:x']);
  });

  it('never delivers a mark, its own or another replica’s, and marks are not JSON', () => {
    const { handover, delivered, mark } = start(['a']);
    const foreign = new PubsubHandover(OLD, NEXT, ['a'], { deliver() {}, oldDone() {}, done() {} }).marks.get('a')!;
    handover.receive(OLD, 'a', foreign);
    handover.receive(OLD, 'a', '1');
    handover.receive(OLD, 'a', mark('a'));
    handover.receive(NEXT, 'a', foreign);
    expect(delivered).toEqual(['a:1']);
    expect(isHandoverMark(mark('a'))).toBe(true);
    expect(() => JSON.parse(mark('a'))).toThrow();
  });

  it('finish() delivers what is held, ends the old stream once, and then delivers the new stream alone', () => {
    const { handover, delivered, events, mark } = start(['a']);
    handover.receive(NEXT, 'a', mark('a'));
    handover.receive(NEXT, 'a', '2');
    handover.finish();
    handover.finish();
    handover.receive(OLD, 'a', '3');
    handover.receive(NEXT, 'a', '3');
    expect(delivered).toEqual(['a:2', 'a:3']);
    expect(events).toEqual(['oldDone', 'done']);
  });

  it('gives up holding past 10,000 messages: finished, nothing lost of what it held', () => {
    const { handover, delivered, events, mark } = start(['a']);
    handover.receive(NEXT, 'a', mark('a'));
    for (let i = 0; i <= 10_000; i++) handover.receive(NEXT, 'a', String(i));
    expect(events).toEqual(['oldDone', 'done']);
    expect(delivered).toHaveLength(10_001);
    expect(delivered.at(-1)).toBe('a:10000');
  });

  it('stops waiting for a channel unsubscribed during the handover, and drops what it held of it', () => {
    const { handover, delivered, events, mark } = start(['a', 'b']);
    handover.receive(OLD, 'a', mark('a'));
    handover.receive(NEXT, 'a', mark('a'));
    handover.receive(NEXT, 'b', mark('b'));
    handover.receive(NEXT, 'b', 'late');
    expect(events).toEqual([]);
    handover.forget('b');
    expect(events).toEqual(['oldDone', 'done']);
    expect(delivered).toEqual([]);
  });

  it('an old connection lost before its mark delivers nothing more; the new one goes on from its own mark', () => {
    const { handover, delivered, events, mark } = start(['a']);
    handover.receive(OLD, 'a', '1');
    handover.receive(NEXT, 'a', '1');
    handover.receive(NEXT, 'a', mark('a'));
    handover.receive(NEXT, 'a', '2');
    handover.oldLost();
    expect(events).toEqual(['oldDone', 'done']);
    // Reconnected, it would bring again what the new one delivers.
    handover.receive(OLD, 'a', '2');
    handover.receive(NEXT, 'a', '3');
    expect(delivered).toEqual(['a:1', 'a:2', 'a:3']);
  });

  it('an old connection lost before the new one reached its mark leaves the new one dropping copies until then', () => {
    const { handover, delivered, events, mark } = start(['a']);
    handover.receive(OLD, 'a', '1');
    handover.oldLost();
    expect(events).toEqual(['oldDone']);
    handover.receive(NEXT, 'a', '1');
    handover.receive(NEXT, 'a', mark('a'));
    handover.receive(NEXT, 'a', '2');
    expect(events).toEqual(['oldDone', 'done']);
    expect(delivered).toEqual(['a:1', 'a:2']);
  });

  it('with no channel to mark it is done at once', () => {
    expect(start([]).events).toEqual(['oldDone', 'done']);
  });
});
