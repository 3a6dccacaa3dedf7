// The small part of zod's API the gateway's config file is written in (config.ts, client-capabilities.ts,
// session-store.ts): strings, numbers, booleans, literals, enums, arrays, records, strict objects and discriminated
// unions, with optional/default/refine/superRefine, issues with paths and zod 4's English messages, and the output
// and input types. zod itself builds ~10 MiB of modules and locales into every gateway that only reads one file at
// start. Semantics follow zod 4 (test/unit/api/schema.test.ts runs both side by side): a type issue stops the checks
// of the schemas around it; a failed check (refine, min, regex) and an unrecognized key do not.
import { isPlainObject } from './plain-object.ts';

export interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  /** For `invalid_key`: the key schema's own issues. */
  issues?: Issue[];
}

interface Run {
  issues: Issue[];
  /** An issue that stops the checks of the enclosing schemas (type and structure issues do, check failures do not). */
  aborted: boolean;
}

export interface RefineContext {
  addIssue(issue: { code: 'custom'; message: string; path?: PropertyKey[] }): void;
}

type Check<T> = (value: T, ctx: RefineContext) => void;

export type SafeParseResult<T> = { success: true; data: T } | { success: false; error: { issues: Issue[] } };

export abstract class Schema<Out, In = Out> {
  declare readonly _out: Out;
  declare readonly _in: In;
  /** Typed loosely so that a schema of a narrower type is still a Schema<unknown> (as zod's are). */
  protected checks: Check<never>[] = [];

  protected abstract parseType(value: unknown, path: PropertyKey[], run: Run): Out;

  /** Parse `value` at `path`, adding issues to `run`; the result is meaningful only without new issues. */
  parseAt(value: unknown, path: PropertyKey[], run: Run): Out {
    const wasAborted = run.aborted;
    run.aborted = false;
    const out = this.parseType(value, path, run);
    const stopped = run.aborted;
    run.aborted = wasAborted || stopped;
    if (stopped || this.checks.length === 0) return out;
    const ctx: RefineContext = {
      addIssue: (i) => run.issues.push({ code: i.code, message: i.message, path: [...path, ...(i.path ?? [])] }),
    };
    for (const check of this.checks) check(out as never, ctx);
    return out;
  }

  safeParse(value: unknown): SafeParseResult<Out> {
    const run: Run = { issues: [], aborted: false };
    const data = this.parseAt(value, [], run);
    return run.issues.length === 0 ? { success: true, data } : { success: false, error: { issues: run.issues } };
  }

  /** A copy with one more check (schemas are shared between fields, so checks never go onto the original). */
  protected withCheck(check: Check<Out>): this {
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this);
    copy.checks = [...this.checks, check];
    return copy;
  }

  superRefine(fn: (value: Out, ctx: RefineContext) => void): this {
    return this.withCheck((value, ctx) => fn(value, ctx));
  }

  refine(fn: (value: Out) => boolean, options: { message: string; path?: PropertyKey[] }): this {
    return this.withCheck((value, ctx) => {
      if (!fn(value)) ctx.addIssue({ code: 'custom', message: options.message, path: options.path });
    });
  }

  optional(): Schema<Out | undefined, In | undefined> {
    return new Optional(this);
  }

  default(value: NoInfer<Exclude<Out, undefined>>): Schema<Exclude<Out, undefined>, In | undefined> {
    return new Default(this, value);
  }
}

export type Infer<S> = S extends Schema<infer Out, unknown> ? Out : never;
export type Input<S> = S extends Schema<unknown, infer In> ? In : never;

const received = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isNaN(value) ? 'NaN' : typeof value;

function typeIssue(run: Run, path: PropertyKey[], expected: string, value: unknown): void {
  run.issues.push({
    code: 'invalid_type',
    path,
    message: `Invalid input: expected ${expected}, received ${received(value)}`,
  });
  run.aborted = true;
}

class Optional<Out, In> extends Schema<Out | undefined, In | undefined> {
  readonly inner: Schema<Out, In>;
  constructor(inner: Schema<Out, In>) {
    super();
    this.inner = inner;
  }
  protected parseType(value: unknown, path: PropertyKey[], run: Run): Out | undefined {
    return value === undefined ? undefined : this.inner.parseAt(value, path, run);
  }
}

class Default<Out, In> extends Schema<Exclude<Out, undefined>, In | undefined> {
  readonly inner: Schema<Out, In>;
  readonly fallback: unknown;
  constructor(inner: Schema<Out, In>, fallback: unknown) {
    super();
    this.inner = inner;
    this.fallback = fallback;
  }
  protected parseType(value: unknown, path: PropertyKey[], run: Run): Exclude<Out, undefined> {
    // zod 4: an absent value takes the default as it is, without parsing it.
    if (value === undefined) return structuredClone(this.fallback) as Exclude<Out, undefined>;
    return this.inner.parseAt(value, path, run) as Exclude<Out, undefined>;
  }
}

class StringSchema extends Schema<string> {
  protected parseType(value: unknown, path: PropertyKey[], run: Run): string {
    if (typeof value !== 'string') typeIssue(run, path, 'string', value);
    return value as string;
  }
  min(n: number): this {
    return this.refineAs((s) => s.length >= n, `Too small: expected string to have >=${n} characters`);
  }
  max(n: number): this {
    return this.refineAs((s) => s.length <= n, `Too big: expected string to have <=${n} characters`);
  }
  regex(pattern: RegExp, message: string): this {
    return this.refineAs((s) => pattern.test(s), message);
  }
  protected refineAs(ok: (s: string) => boolean, message: string): this {
    return this.withCheck((s, ctx) => {
      if (!ok(s)) ctx.addIssue({ code: 'custom', message });
    });
  }
}

class NumberSchema extends Schema<number> {
  protected parseType(value: unknown, path: PropertyKey[], run: Run): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) typeIssue(run, path, 'number', value);
    return value as number;
  }
  int(): this {
    return this.withCheck((n, ctx) => {
      if (!Number.isSafeInteger(n))
        ctx.addIssue({ code: 'custom', message: 'Invalid input: expected int, received number' });
    });
  }
  min(n: number): this {
    return this.withCheck((v, ctx) => {
      if (v < n) ctx.addIssue({ code: 'custom', message: `Too small: expected number to be >=${n}` });
    });
  }
  max(n: number): this {
    return this.withCheck((v, ctx) => {
      if (v > n) ctx.addIssue({ code: 'custom', message: `Too big: expected number to be <=${n}` });
    });
  }
}

class BooleanSchema extends Schema<boolean> {
  protected parseType(value: unknown, path: PropertyKey[], run: Run): boolean {
    if (typeof value !== 'boolean') typeIssue(run, path, 'boolean', value);
    return value as boolean;
  }
}

class LiteralSchema<T extends string> extends Schema<T> {
  readonly value: T;
  constructor(value: T) {
    super();
    this.value = value;
  }
  protected parseType(value: unknown, path: PropertyKey[], run: Run): T {
    if (value !== this.value) {
      run.issues.push({
        code: 'invalid_value',
        path,
        message: `Invalid input: expected ${JSON.stringify(this.value)}`,
      });
      run.aborted = true;
    }
    return value as T;
  }
}

class EnumSchema<T extends string> extends Schema<T> {
  readonly options: readonly T[];
  constructor(options: readonly T[]) {
    super();
    this.options = options;
  }
  protected parseType(value: unknown, path: PropertyKey[], run: Run): T {
    if (!this.options.includes(value as T)) {
      const expected = this.options.map((o) => JSON.stringify(o)).join('|');
      run.issues.push({ code: 'invalid_value', path, message: `Invalid option: expected one of ${expected}` });
      run.aborted = true;
    }
    return value as T;
  }
}

class ArraySchema<Out, In> extends Schema<Out[], In[]> {
  readonly item: Schema<Out, In>;
  constructor(item: Schema<Out, In>) {
    super();
    this.item = item;
  }
  protected parseType(value: unknown, path: PropertyKey[], run: Run): Out[] {
    if (!Array.isArray(value)) {
      typeIssue(run, path, 'array', value);
      return value as Out[];
    }
    return value.map((v, i) => this.item.parseAt(v, [...path, i], run));
  }
  min(n: number): this {
    return this.withCheck((a, ctx) => {
      if (a.length < n) ctx.addIssue({ code: 'custom', message: `Too small: expected array to have >=${n} items` });
    });
  }
}

class RecordSchema<V, VIn> extends Schema<Record<string, V>, Record<string, VIn>> {
  readonly key: Schema<string>;
  readonly item: Schema<V, VIn>;
  constructor(key: Schema<string>, item: Schema<V, VIn>) {
    super();
    this.key = key;
    this.item = item;
  }
  protected parseType(value: unknown, path: PropertyKey[], run: Run): Record<string, V> {
    if (!isPlainObject(value)) {
      typeIssue(run, path, 'record', value);
      return value as Record<string, V>;
    }
    const out: Record<string, V> = {};
    for (const [k, v] of Object.entries(value)) {
      const keyRun: Run = { issues: [], aborted: false };
      this.key.parseAt(k, [], keyRun);
      if (keyRun.issues.length > 0) {
        run.issues.push({
          code: 'invalid_key',
          path: [...path, k],
          message: 'Invalid key in record',
          issues: keyRun.issues,
        });
        run.aborted = true;
        continue;
      }
      out[k] = this.item.parseAt(v, [...path, k], run);
    }
    return out;
  }
}

type Shape = Record<string, Schema<unknown, unknown>>;
type Flat<T> = { [K in keyof T]: T[K] } & {};
type OptionalOut<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type OptionalIn<S extends Shape> = { [K in keyof S]: undefined extends Input<S[K]> ? K : never }[keyof S];
type ObjectOut<S extends Shape> = Flat<
  { [K in Exclude<keyof S, OptionalOut<S>>]: Infer<S[K]> } & { [K in OptionalOut<S>]?: Infer<S[K]> }
>;
type ObjectIn<S extends Shape> = Flat<
  { [K in Exclude<keyof S, OptionalIn<S>>]: Input<S[K]> } & { [K in OptionalIn<S>]?: Input<S[K]> }
>;

export class ObjectSchema<S extends Shape> extends Schema<ObjectOut<S>, ObjectIn<S>> {
  readonly shape: S;
  constructor(shape: S) {
    super();
    this.shape = shape;
  }
  protected parseType(value: unknown, path: PropertyKey[], run: Run): ObjectOut<S> {
    if (!isPlainObject(value)) {
      typeIssue(run, path, 'object', value);
      return value as ObjectOut<S>;
    }
    const out: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(this.shape)) {
      const parsed = schema.parseAt(value[key], [...path, key], run);
      if (parsed !== undefined) out[key] = parsed;
    }
    const unknown = Object.keys(value).filter((k) => !Object.hasOwn(this.shape, k));
    if (unknown.length > 0) {
      const names = unknown.map((k) => JSON.stringify(k)).join(', ');
      run.issues.push({
        code: 'unrecognized_keys',
        path,
        message: `Unrecognized key${unknown.length > 1 ? 's' : ''}: ${names}`,
      });
    }
    return out as ObjectOut<S>;
  }
}

type Variant = ObjectSchema<{ type: LiteralSchema<string> } & Shape>;

class UnionSchema<V extends Variant> extends Schema<Infer<V>, Input<V>> {
  readonly key: 'type';
  readonly variants: readonly V[];
  constructor(key: 'type', variants: readonly V[]) {
    super();
    this.key = key;
    this.variants = variants;
  }
  protected parseType(value: unknown, path: PropertyKey[], run: Run): Infer<V> {
    if (!isPlainObject(value)) {
      typeIssue(run, path, 'object', value);
      return value as Infer<V>;
    }
    const variant = this.variants.find((v) => v.shape[this.key].value === value[this.key]);
    if (!variant) {
      const expected = this.variants.map((v) => `'${v.shape[this.key].value}'`).join(' | ');
      const message = `Invalid discriminator value. Expected ${expected}`;
      run.issues.push({ code: 'invalid_union', path: [...path, this.key], message });
      run.aborted = true;
      return value as Infer<V>;
    }
    return variant.parseAt(value, path, run) as Infer<V>;
  }
}

/** The constructors, named as zod names them. */
export const z = {
  string: () => new StringSchema(),
  number: () => new NumberSchema(),
  boolean: () => new BooleanSchema(),
  literal: <T extends string>(value: T) => new LiteralSchema(value),
  enum: <const T extends string>(options: readonly T[]) => new EnumSchema<T>(options),
  array: <Out, In>(item: Schema<Out, In>) => new ArraySchema(item),
  record: <V, VIn>(key: Schema<string>, item: Schema<V, VIn>) => new RecordSchema(key, item),
  strictObject: <S extends Shape>(shape: S) => new ObjectSchema(shape),
  discriminatedUnion: <const V extends readonly Variant[]>(key: 'type', variants: V) =>
    new UnionSchema<V[number]>(key, variants),
};
