// src/api/schema.ts stands in for zod in the gateway's config: the same schemas, written once against either
// implementation, must accept the same values with the same output (defaults included) and refuse the same values
// with the same issues (path and message).

import { describe, expect, it } from 'vitest';
import { z as zod } from 'zod';
import { z as own } from '../../../src/api/schema.ts';

type Z = typeof own;

/** A schema that uses every constructor and modifier the config uses. */
const build = (z: Z) =>
  z
    .strictObject({
      name: z
        .string()
        .max(8)
        .regex(/^[a-z]+$/, 'lowercase only')
        .default('gw'),
      port: z.number().int().min(1).max(65535).optional(),
      on: z.boolean().default(true),
      mode: z.enum(['a', 'b']).default('a'),
      tags: z.array(z.string().min(1)).min(1).optional(),
      headers: z
        .record(
          z.string().superRefine((k, ctx) => {
            if (k.includes(' ')) ctx.addIssue({ code: 'custom', message: `bad key "${k}"` });
          }),
          z.string().refine((v) => !v.includes('\n'), { message: 'no newline' }),
        )
        .default({}),
      path: z
        .string()
        .refine((p) => p.startsWith('/'), { message: 'absolute' })
        .refine((p) => !p.includes('..'), { message: 'no dots' })
        .optional(),
      auth: z
        .discriminatedUnion('type', [
          z.strictObject({ type: z.literal('none') }),
          z
            .strictObject({ type: z.literal('key'), file: z.string().optional(), env: z.string().optional() })
            .refine((a) => (a.file === undefined) !== (a.env === undefined), { message: 'exactly one' }),
        ])
        .default({ type: 'none' }),
      limits: z
        .strictObject({ each: z.number().default(1), all: z.number().default(2) })
        .refine((l) => l.all >= l.each, { path: ['all'], message: 'all >= each' })
        .default({ each: 1, all: 2 }),
    })
    .superRefine((c, ctx) => {
      if (c.name === c.mode) ctx.addIssue({ code: 'custom', path: ['name'], message: 'name equals mode' });
    });

const CASES: unknown[] = [
  {},
  {
    name: 'x',
    port: 80,
    on: false,
    mode: 'b',
    tags: ['t'],
    headers: { a: 'b' },
    path: '/p',
    auth: { type: 'key', env: 'E' },
  },
  { name: 'a' },
  { name: 'UPPER' },
  { name: 'waytoolongname' },
  { name: 7 },
  { port: 1.5 },
  { port: 0 },
  { port: '80' },
  { port: null },
  { on: 'yes' },
  { mode: 'c' },
  { tags: [] },
  { tags: [''] },
  { tags: 'x' },
  { headers: { 'bad key': 'v', ok: 'a\nb' } },
  { headers: [] },
  { path: 'rel/../x' },
  { path: '/ok/../x' },
  { auth: { type: 'key' } },
  { auth: { type: 'key', file: 'f', env: 'e' } },
  { auth: { type: 'other' } },
  { auth: { type: 'none', extra: 1 } },
  { auth: 'none' },
  { limits: { each: 5 } },
  { limits: { each: 1, all: 0, more: true } },
  { unknown: 1, also: 2 },
  // Names every object inherits are unknown keys too (JSON.parse makes `__proto__` an own key).
  { constructor: 1 },
  { toString: 'x', name: 'a' },
  JSON.parse('{"__proto__":{"name":"a"}}'),
  { limits: { hasOwnProperty: 1 } },
  { name: 'UPPER', unknown: 1 },
  // The top-level check (name equals mode) after issues of each kind below it.
  { name: 'a', mode: 'a' },
  { name: 'a', mode: 'a', headers: { 'bad key': 'v' } },
  { name: 'a', mode: 'a', headers: { ok: 1 } },
  { name: 'a', mode: 'a', port: '80' },
  { name: 'a', mode: 'a', port: 0 },
  { name: 'a', mode: 'a', path: 'rel' },
  { name: 'a', mode: 'a', unknown: 1 },
  { name: 'a', mode: 'a', auth: { type: 'x' } },
  { name: 'a', mode: 'a', auth: { type: 'key' } },
  { name: 'a', mode: 'a', limits: { each: 'x' } },
  null,
  [],
  'text',
];

const outcome = (result: ReturnType<ReturnType<typeof build>['safeParse']>) =>
  result.success
    ? { data: result.data }
    : { issues: result.error.issues.map((i) => ({ path: i.path, message: i.message })) };

describe('the config schema implementation', () => {
  it.each(CASES.map((c) => [JSON.stringify(c), c]))('judges %s as zod 4 does', (_, value) => {
    const ours = build(own);
    const theirs = build(zod as unknown as Z);
    expect(outcome(ours.safeParse(value))).toEqual(outcome(theirs.safeParse(value)));
  });

  it('gives each parse its own copy of a default', () => {
    const schema = build(own);
    const [first, second] = [schema.safeParse({}), schema.safeParse({})] as { data?: { headers: object } }[];
    expect(first?.data?.headers).toEqual({});
    expect(first?.data?.headers).not.toBe(second?.data?.headers);
  });
});
