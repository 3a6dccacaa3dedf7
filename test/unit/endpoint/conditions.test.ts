import { describe, expect, it } from 'vitest';
import {
  type Condition,
  conditionsEqual,
  MANAGED_ENDPOINT_CONDITIONS,
  mergeConditions,
} from '../../../src/api/conditions.ts';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:05:00Z';
const opts = (now: string) => ({ managed: MANAGED_ENDPOINT_CONDITIONS, now, observedGeneration: 3 });

describe('mergeConditions', () => {
  it('stamps new conditions with now and the generation', () => {
    const out = mergeConditions(
      undefined,
      [{ type: 'Ready', status: 'True', reason: 'Validated', message: 'ok' }],
      opts(T0),
    );
    expect(out).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Validated',
        message: 'ok',
        lastTransitionTime: T0,
        observedGeneration: 3,
      },
    ]);
  });

  it('keeps lastTransitionTime when only the reason or message changes', () => {
    const first = mergeConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'A', message: 'a' }], opts(T0));
    const second = mergeConditions(first, [{ type: 'Ready', status: 'False', reason: 'B', message: 'b' }], opts(T1));
    expect(second[0]?.lastTransitionTime).toBe(T0);
    expect(second[0]?.reason).toBe('B');
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = mergeConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'A', message: 'a' }], opts(T0));
    const second = mergeConditions(first, [{ type: 'Ready', status: 'True', reason: 'B', message: 'b' }], opts(T1));
    expect(second[0]?.lastTransitionTime).toBe(T1);
  });

  it('removes managed conditions that are no longer desired and keeps foreign ones', () => {
    const existing: Condition[] = [
      { type: 'CABundleValid', status: 'True', reason: 'X', message: '', lastTransitionTime: T0 },
      { type: 'gateway.example.com/Session', status: 'True', reason: 'Up', message: '', lastTransitionTime: T0 },
    ];
    const out = mergeConditions(existing, [{ type: 'Ready', status: 'True', reason: 'R', message: '' }], opts(T1));
    expect(out.map((c) => c.type)).toEqual(['Ready', 'gateway.example.com/Session']);
  });

  it('orders output canonically, so merging twice compares equal', () => {
    const desired = [
      { type: 'ConfigurationValid', status: 'True' as const, reason: 'ConfigurationValid', message: '' },
      { type: 'Ready', status: 'True' as const, reason: 'R', message: '' },
    ];
    const once = mergeConditions(undefined, desired, opts(T0));
    const twice = mergeConditions(once, [...desired].reverse(), opts(T1));
    expect(once.map((c) => c.type)).toEqual(['Ready', 'ConfigurationValid']);
    expect(conditionsEqual(once, twice)).toBe(true);
  });
});

describe('conditionsEqual', () => {
  const c: Condition = { type: 'Ready', status: 'True', reason: 'R', message: 'm', lastTransitionTime: T0 };
  it('ignores order but not content', () => {
    const d: Condition = { ...c, type: 'GroupRefValid' };
    expect(conditionsEqual([c, d], [d, c])).toBe(true);
    expect(conditionsEqual([c], [{ ...c, message: 'other' }])).toBe(false);
    expect(conditionsEqual([c], [{ ...c, observedGeneration: 2 }])).toBe(false);
    expect(conditionsEqual([c], [])).toBe(false);
  });
});
