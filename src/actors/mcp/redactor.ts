// Secret values out of text the gateway repeats. A remote may echo the credential it received (many APIs put the
// rejected key into their error message), so text built from a remote's words (error details, JSON-RPC error
// messages, an STS's error_description) passes through the redactor of the backend that was sent the credential,
// and everything downstream (logs, /readyz, the live view, status, clients) gets clean text.
//
// Each backend session owns one redactor: every header value it sends is registered on the way out (so a rotated
// Secret or a fresh exchanged token is known before the request that carries it), and token exchange registers what
// it sends to and gets from the STS. Every redactor also feeds `knownSecrets`, the process-wide set the log pipeline
// and the live view use as a second line of defence.
//
// Matched: each value and the forms a server is seen to echo it in: the credentials after an auth scheme
// (`Bearer <v>`), the decoded `user:pass` of Basic and its password, base64 and base64url, percent- and JSON-escaped
// forms, and a prefix of at least PARTIAL characters (servers that show "the first characters" of a key). Values of
// LONG or more characters are replaced wherever they occur; values of WORD to LONG-1 only as a whole word, so a short
// header value does not mangle unrelated text; shorter values cannot be told from ordinary text and are left alone.

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';
/** Values at least this long are replaced wherever they occur. */
const LONG = 8;
/** Values from this length up to LONG-1 are replaced only as a whole word. */
const WORD = 6;
/** An echoed prefix of a value at least this long is replaced too (12 characters of a token are not a coincidence). */
const PARTIAL = 12;
/** Characters that continue a word for the whole-word match. */
const WORD_CHAR = 'A-Za-z0-9_-';
/** RFC 9110 `auth-scheme 1*SP credentials`. */
const SCHEME_CREDENTIALS = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +(\S.*)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_DEPTH = 32;
/** Longer values (JWTs) get no base64 forms: nobody echoes a JWT re-encoded, and the forms would cost memory. */
const MAX_ENCODED = 256;

/** Text and JSON-like values with the known secrets taken out. */
export interface Redactor {
  redact(text: string): string;
  /** Strings (and object keys) anywhere in a JSON-like value; returns a copy. */
  redactDeep<T>(value: T): T;
}

export interface SecretRedactorOptions {
  /** Most values remembered; the oldest registered is forgotten first. */
  maxValues?: number;
  /** Where every value is registered as well (default: `knownSecrets`; null for none). */
  parent?: SecretRedactor | null;
}

export class SecretRedactor implements Redactor {
  readonly #parent: SecretRedactor | undefined;
  readonly #maxValues: number;
  /** value -> the forms it is matched in; insertion order is registration order (oldest first). */
  readonly #values = new Map<string, string[]>();
  /** form -> how many registered values produce it. */
  readonly #forms = new Map<string, number>();
  /** keyHash of the first LONG characters of each long form -> those forms. */
  readonly #byKey = new Map<number, Set<string>>();
  /** Forms matched only as whole words. */
  readonly #words = new Set<string>();
  #wordPattern: RegExp | null | undefined;

  constructor(options: SecretRedactorOptions = {}) {
    this.#maxValues = options.maxValues ?? 1000;
    this.#parent = options.parent === undefined ? knownSecrets : (options.parent ?? undefined);
  }

  /** How many values are registered. */
  get size(): number {
    return this.#values.size;
  }

  /** Register one secret value (a token, a password, a client secret). */
  add(value: string): void {
    if (typeof value !== 'string' || value.length < WORD) return;
    this.#parent?.add(value);
    const known = this.#values.get(value);
    if (known) {
      // Recently used values are the last to be forgotten.
      this.#values.delete(value);
      this.#values.set(value, known);
      return;
    }
    const forms = formsOf(value);
    this.#values.set(value, forms);
    for (const form of forms) this.#addForm(form);
    while (this.#values.size > this.#maxValues) {
      const oldest = this.#values.keys().next().value as string;
      for (const form of this.#values.get(oldest) ?? []) this.#removeForm(form);
      this.#values.delete(oldest);
    }
  }

  /** Whether `value` is registered here and in the parent (a value too short to register counts as known). */
  knows(value: string): boolean {
    if (typeof value !== 'string' || value.length < WORD) return true;
    return this.#values.has(value) && (this.#parent?.knows(value) ?? true);
  }

  /** Register a header value as sent: the whole value, and for `Scheme credentials` the credentials. */
  addHeaderValue(value: string): void {
    this.add(value);
    const m = SCHEME_CREDENTIALS.exec(value);
    if (!m?.[1] || !m[2]) return;
    const credentials = m[2].trim();
    this.add(credentials);
    if (m[1].toLowerCase() !== 'basic' || !BASE64.test(credentials)) return;
    const pair = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    // Only a clean decoding: arbitrary bytes decoded as UTF-8 would register text nobody sent.
    if (colon < 0 || hasControlOrReplacement(pair)) return;
    this.add(pair);
    this.add(pair.slice(colon + 1));
  }

  /** Register every value of a header set (as `OutgoingAuth.headers()` returns it). */
  addHeaders(headers: Readonly<Record<string, string>>): void {
    for (const value of Object.values(headers)) this.addHeaderValue(value);
  }

  redact(text: string): string {
    if (typeof text !== 'string' || this.#values.size === 0) return text;
    let out = '';
    let last = 0;
    this.#scan(text, (at, span) => {
      out += `${text.slice(last, at)}${REDACTED}`;
      last = at + span;
      return true;
    });
    out = last === 0 ? text : out + text.slice(last);
    const words = this.#wordRegExp();
    return words ? out.replace(words, REDACTED) : out;
  }

  /** True when the text holds any registered value (in any of its forms). */
  contains(text: string): boolean {
    if (this.#values.size === 0) return false;
    let found = false;
    this.#scan(text, () => {
      found = true;
      return false;
    });
    if (found) return true;
    const words = this.#wordRegExp();
    if (!words) return false;
    words.lastIndex = 0;
    return words.test(text);
  }

  redactDeep<T>(value: T): T {
    if (this.#values.size === 0) return value;
    return this.#deep(value, 0) as T;
  }

  /**
   * One JSON log line (pino's output): untouched when it holds no secret; else parsed, redacted field by field and
   * serialised again, so a value with characters JSON escapes is found and the line stays valid JSON.
   */
  redactJsonLine(line: string): string {
    if (!this.contains(line)) return line;
    const newline = line.endsWith('\n') ? '\n' : '';
    try {
      return `${JSON.stringify(this.redactDeep(JSON.parse(line)))}${newline}`;
    } catch {
      return this.redact(line);
    }
  }

  /**
   * Each long form (or PARTIAL-long prefix of one) in the text, left to right and not overlapping; `found` returns
   * false to stop. Candidates are looked up by a rolling hash of the next LONG characters: no string is cut per
   * position, which keeps a log line's check in microseconds.
   */
  #scan(text: string, found: (at: number, span: number) => boolean): void {
    if (this.#byKey.size === 0) return;
    let hash = 0;
    let fresh = true;
    for (let i = 0; i + LONG <= text.length; ) {
      hash = fresh ? keyHash(text, i) : roll(hash, text.charCodeAt(i - 1), text.charCodeAt(i + LONG - 1));
      fresh = false;
      const candidates = this.#byKey.get(hash);
      const span = candidates ? longestMatch(text, i, candidates) : 0;
      if (span === 0) {
        i++;
        continue;
      }
      if (!found(i, span)) return;
      i += span;
      fresh = true;
    }
  }

  #deep(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.#deep(v, depth + 1));
    if (value instanceof Error) return this.redact(value.message);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[this.redact(k)] = this.#deep(v, depth + 1);
    return out;
  }

  #addForm(form: string): void {
    const count = this.#forms.get(form) ?? 0;
    this.#forms.set(form, count + 1);
    if (count > 0) return;
    if (form.length >= LONG) {
      const key = keyHash(form, 0);
      const set = this.#byKey.get(key) ?? new Set<string>();
      set.add(form);
      this.#byKey.set(key, set);
    } else {
      this.#words.add(form);
      this.#wordPattern = undefined;
    }
  }

  #removeForm(form: string): void {
    const count = (this.#forms.get(form) ?? 1) - 1;
    if (count > 0) {
      this.#forms.set(form, count);
      return;
    }
    this.#forms.delete(form);
    if (form.length >= LONG) {
      const key = keyHash(form, 0);
      const set = this.#byKey.get(key);
      set?.delete(form);
      if (set?.size === 0) this.#byKey.delete(key);
    } else {
      this.#words.delete(form);
      this.#wordPattern = undefined;
    }
  }

  #wordRegExp(): RegExp | null {
    if (this.#wordPattern === undefined) {
      const words = [...this.#words].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.#wordPattern =
        words.length === 0 ? null : new RegExp(`(?<![${WORD_CHAR}])(?:${words.join('|')})(?![${WORD_CHAR}])`, 'g');
    }
    return this.#wordPattern;
  }
}

const HASH_BASE = 0x5bd1e995;
/** HASH_BASE^(LONG-1), for taking the leaving character out of a rolling hash. */
const HASH_TOP = Array.from({ length: LONG - 1 }).reduce<number>((p) => Math.imul(p, HASH_BASE), 1);

/** A hash of the LONG characters of `text` from `at` (32-bit, wrapping). */
function keyHash(text: string, at: number): number {
  let hash = 0;
  for (let k = 0; k < LONG; k++) hash = (Math.imul(hash, HASH_BASE) + text.charCodeAt(at + k)) | 0;
  return hash;
}

/** keyHash one position further: `leaving` drops out at the front, `entering` comes in at the back. */
function roll(hash: number, leaving: number, entering: number): number {
  return (Math.imul((hash - Math.imul(leaving, HASH_TOP)) | 0, HASH_BASE) + entering) | 0;
}

/** The longest candidate matching at `at` in full, or by a prefix of at least PARTIAL characters; 0 for none. */
function longestMatch(text: string, at: number, candidates: ReadonlySet<string>): number {
  let span = 0;
  for (const form of candidates) {
    let n = 0;
    while (n < form.length && at + n < text.length && text.charCodeAt(at + n) === form.charCodeAt(n)) n++;
    if (n === form.length || n >= PARTIAL) span = Math.max(span, n);
  }
  return span;
}

/** The forms a value is matched in: itself and the encodings a server may echo it in. */
function formsOf(value: string): string[] {
  const forms = new Set<string>([value]);
  const add = (form: string) => {
    if (form.length >= WORD) forms.add(form);
  };
  add(safeEncodeURIComponent(value));
  add(JSON.stringify(value).slice(1, -1));
  if (value.length >= LONG && value.length <= MAX_ENCODED) {
    const base64 = Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, '');
    add(base64);
    add(base64.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms];
}

function safeEncodeURIComponent(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate: no percent-encoded form.
    return value;
  }
}

function hasControlOrReplacement(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0xfffd) return true;
  }
  return false;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * Every value any backend's redactor registered, bounded: what the log pipeline (`redactLogLine`), /readyz and the
 * live view check their output against. Values are never removed on purpose; the oldest are forgotten first.
 */
export const knownSecrets: SecretRedactor = new SecretRedactor({ parent: null, maxValues: 10_000 });

/** A redactor for one backend session, feeding `knownSecrets`. */
export function createSecretRedactor(options: { maxValues?: number } = {}): SecretRedactor {
  return new SecretRedactor(options);
}

/** pino `hooks.streamWrite`: the last line of defence for every log line a gateway writes. */
export function redactLogLine(line: string): string {
  return knownSecrets.redactJsonLine(line);
}
