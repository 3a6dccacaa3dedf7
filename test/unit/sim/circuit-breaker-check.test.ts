// The simulator's circuit-breaker invariant: a closed circuit opens on exactly the 5th consecutive failure, a failed
// half-open probe re-opens it with the count past 5 (not a new opening), and once ready it must count 5 again.
import { describe, expect, it } from 'vitest';
import { CircuitBreakerCheck } from '../../../src/sim/backend-invariants.ts';

const BACKOFF = '"backoff"';
const OPEN = '{"unavailable":"waiting"}';
const PROBING = '{"unavailable":"probing"}';
const HALF_OPEN_INIT = '{"session":"initializing"}';
const READY = '{"session":{"ready":{"lists":"idle"}}}';

describe('CircuitBreakerCheck', () => {
  it('accepts an opening at the 5th failure and a failed half-open probe re-opening it at the 6th', () => {
    const check = new CircuitBreakerCheck(5);
    expect(check.observe('b0', BACKOFF, OPEN, 5)).toEqual([]);
    expect(check.observe('b0', OPEN, PROBING, 5)).toEqual([]);
    expect(check.observe('b0', PROBING, HALF_OPEN_INIT, 5)).toEqual([]);
    expect(check.observe('b0', HALF_OPEN_INIT, OPEN, 6)).toEqual([]);
  });

  it('flags a closed circuit opening after 4 or 6 failures', () => {
    expect(new CircuitBreakerCheck(5).observe('b0', BACKOFF, OPEN, 4)).toEqual([
      { invariant: 'circuitOpensAfterExactly5', detail: 'b0 opened the circuit after 4 failures' },
    ]);
    expect(new CircuitBreakerCheck(5).observe('b0', BACKOFF, OPEN, 6)).toEqual([
      { invariant: 'circuitOpensAfterExactly5', detail: 'b0 opened the circuit after 6 failures' },
    ]);
  });

  it('flags a re-opening that did not count past the threshold', () => {
    const check = new CircuitBreakerCheck(5);
    check.observe('b0', BACKOFF, OPEN, 5);
    expect(check.observe('b0', HALF_OPEN_INIT, OPEN, 5)).toEqual([
      { invariant: 'circuitOpensAfterExactly5', detail: 'b0 re-opened the circuit after 5 failures' },
    ]);
  });

  it('counts afresh once the session was ready again, per backend', () => {
    const check = new CircuitBreakerCheck(5);
    check.observe('b0', BACKOFF, OPEN, 5);
    check.observe('b0', HALF_OPEN_INIT, READY, 0);
    expect(check.observe('b1', BACKOFF, OPEN, 6)).toHaveLength(1);
    expect(check.observe('b0', BACKOFF, OPEN, 6)).toEqual([
      { invariant: 'circuitOpensAfterExactly5', detail: 'b0 opened the circuit after 6 failures' },
    ]);
  });
});
