// Requests to a plain-http backend over our own HTTP/1.1 connections, with undici's dispatch interface so the
// one handler of dispatch-response.ts serves both. Why not undici here: its client (the WASM parser and per-request
// machinery) is the largest single cost a relayed call pays after Node's own HTTP server. On loopback, a bare proxy
// (node:http in) cost 0.40-0.48 ms of CPU a call with undici out, 0.32 ms with node:http's client and 0.22 ms with
// this kind of client; in the gateway, against undici's dispatch, this client saves 0.02-0.05 ms a call (4-8 %).
// A request to a backend needs a small part of HTTP/1.1, so that part is written here, strictly: anything outside it
// fails the request and closes the connection rather than being guessed at.
//   In: one request per connection at a time (no pipelining), keep-alive reuse, Content-Length or chunked answers, or
//   an answer read to the connection's close; 1xx answers skipped; trailers read and dropped.
//   Timed as undici's: the connect, the answer's head, and the body (at most bodyTimeoutMs between two reads of it,
//   the request's `bodyTimeout` if it gives one, 0 for none; not while the reader has paused the answer).
//   Out (an error naming the problem): a status line that is not HTTP/1.x, a malformed header line or obs-fold, both
//   Content-Length and Transfer-Encoding, a Transfer-Encoding other than chunked, disagreeing Content-Lengths, a bad
//   chunk size, a head or trailer over MAX_HEAD_BYTES, bytes after the answer, 101.
// Errors carry undici's codes (UND_ERR_SOCKET, UND_ERR_CONNECT_TIMEOUT, UND_ERR_HEADERS_TIMEOUT, ...) so that
// errors.ts classifies them as it does undici's, including the one retry on a stale keep-alive socket.
// A Streamable HTTP session's GET stream and DELETE go the same way: a DELETE reuses the POSTs' idle connections
// (10,000 sessions closing at once otherwise opened 10,000 new ones), and sessions with plain-http backends need none
// of undici's parser. TLS backends stay on undici, which negotiates HTTP/2 by ALPN.
import type { IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { hasUnsendableCharacter, isHttpToken } from '../../../api/header-policy.ts';
import type { ActorClock } from '../clock.ts';

/** The part of undici's Dispatcher that dispatch-response.ts uses. */
export type CallDispatcher = Pick<Dispatcher, 'dispatch'>;

export interface PlainHttp1Options {
  clock: ActorClock;
  connectTimeoutMs: number;
  /** From the request written to the end of the answer's head. */
  headersTimeoutMs: number;
  /** Longest wait for the answer's next bytes once its head arrived, unless the request says (0: none). */
  bodyTimeoutMs: number;
  /** How long an unused connection is kept; a server's shorter `Keep-Alive: timeout` wins (less a second). */
  keepAliveTimeoutMs: number;
}

/** Largest status line plus headers (and largest trailer section) read; Node's server default is 16 KiB. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A request target from a URL (percent-encoded, so ASCII): no space, CR, LF or control character. */
const REQUEST_TARGET = /^[\x21-\x7e]+$/;
/** What a received header value may not hold (RFC 9110 5.5). */
const UNSAFE_VALUE = /[\0\r\n]/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-5]\d\d)(?: (.*))?$/;
/** Optional whitespace around a header value: space and tab only. */
const OWS = /^[ \t]+|[ \t]+$/g;
/** Methods whose requests carry content, so an empty one still says `Content-Length: 0`. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const CRLF = Buffer.from('\r\n');
const LF_LF = Buffer.from('\n\n');
/** A server's `Keep-Alive: timeout` less this is how long we reuse its idle connection (undici's margin). */
const KEEP_ALIVE_MARGIN_MS = 2_000;
const HEAD_END = Buffer.from('\r\n\r\n');

/** A sendable value's characters beyond ASCII. */
const OBS_TEXT = /[\x80-\xff]/;

interface HeaderBlock {
  block: string;
  ascii: boolean;
}

const NO_HEADERS: HeaderBlock = { block: '', ascii: true };

function httpError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export class PlainHttp1Client implements CallDispatcher {
  readonly #o: PlainHttp1Options;
  readonly #idle = new Map<string, Connection[]>();
  readonly #all = new Set<Connection>();
  /**
   * Serialised header blocks by the headers object they were made from (post-headers.ts reuses one per session), and
   * whether the block is ASCII (then head and body go out as one UTF-8 string; else the head as Latin-1, as undici).
   */
  readonly #heads = new WeakMap<object, HeaderBlock>();
  /** Origins parsed once: a session sends every call to the same one. */
  readonly #origins = new Map<string, URL>();
  #sweep: unknown;
  #closed = false;
  /** Resolves close() once the last connection is gone; every caller of close() waits for the same. */
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: PlainHttp1Options) {
    this.#o = options;
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const exchange = new Exchange(handler);
    try {
      if (this.#closed) throw httpError('UND_ERR_DESTROYED', 'the HTTP client is closed');
      const origin = this.#origin(String(options.origin));
      const body = typeof options.body === 'string' ? options.body : options.body == null ? '' : undefined;
      if (body === undefined) throw new Error('plain HTTP/1.1 client takes a string body');
      if (!isHttpToken(options.method) || !REQUEST_TARGET.test(options.path)) {
        throw new Error(`invalid request line ${JSON.stringify(`${options.method} ${options.path}`.slice(0, 80))}`);
      }
      const headers = this.#headerBlock(options.headers);
      // No Content-Length on a bodiless GET or DELETE (RFC 9110 8.6: a client SHOULD NOT send one), as undici.
      const length =
        body === '' && !BODY_METHODS.has(options.method) ? '' : `content-length: ${Buffer.byteLength(body)}\r\n`;
      const head = `${options.method} ${options.path} HTTP/1.1\r\nhost: ${origin.host}\r\n${headers.block}${length}\r\n`;
      handler.onRequestStart?.(exchange, {});
      if (exchange.aborted) return true;
      const key = origin.host;
      const connection = this.#takeIdle(key) ?? this.#open(key, origin);
      connection.send(head, headers.ascii, body, exchange, options.bodyTimeout ?? this.#o.bodyTimeoutMs);
    } catch (err) {
      exchange.fail(err as Error);
    }
    return true;
  }

  /**
   * Refuses new requests, closes idle connections and resolves once the requests in flight have ended, as undici's
   * Agent.close() does (callers that must not wait bound it themselves).
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#refuseNew();
    for (const list of [...this.#idle.values()]) for (const connection of [...list]) connection.destroy();
    if (this.#all.size === 0) return;
    await new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
  }

  /** Closes every connection now; requests in flight fail with UND_ERR_DESTROYED. */
  destroy(): void {
    this.#refuseNew();
    for (const connection of [...this.#all]) {
      connection.destroy(httpError('UND_ERR_DESTROYED', 'the HTTP client was destroyed'));
    }
  }

  #origin(text: string): URL {
    let origin = this.#origins.get(text);
    if (origin === undefined) {
      origin = new URL(text);
      if (origin.protocol !== 'http:') throw new Error(`plain HTTP/1.1 client given ${origin.protocol} origin`);
      this.#origins.set(text, origin);
    }
    return origin;
  }

  #headerBlock(headers: Dispatcher.DispatchOptions['headers']): HeaderBlock {
    if (headers == null) return NO_HEADERS;
    if (typeof headers !== 'object' || Array.isArray(headers) || Symbol.iterator in headers) {
      throw new Error('plain HTTP/1.1 client takes headers as a plain object');
    }
    const cached = this.#heads.get(headers);
    if (cached !== undefined) return cached;
    let block = '';
    let ascii = true;
    for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
      if (value === undefined) continue;
      const lower = name.toLowerCase();
      // Framing is ours: a caller's Host, Content-Length, Transfer-Encoding or Connection would contradict it.
      if (lower === 'host' || lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') {
        continue;
      }
      if (!isHttpToken(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
      for (const one of Array.isArray(value) ? value : [value]) {
        if (hasUnsendableCharacter(one)) throw new Error(`header ${name} has a character that cannot be sent`);
        if (ascii && OBS_TEXT.test(one)) ascii = false;
        block += `${name}: ${one}\r\n`;
      }
    }
    const made = { block, ascii };
    this.#heads.set(headers, made);
    return made;
  }

  #takeIdle(key: string): Connection | undefined {
    const idle = this.#idle.get(key);
    const now = this.#o.clock.now();
    if (idle === undefined) return undefined;
    for (let c = idle.pop(); c !== undefined; c = idle.pop()) {
      if (idle.length === 0) this.#idle.delete(key);
      if (c.reusableAt(now)) return c;
      c.destroy();
    }
    return undefined;
  }

  #open(key: string, origin: URL): Connection {
    const connection = new Connection(origin, this.#o, {
      idle: (c) => {
        if (this.#closed) return c.destroy();
        const list = this.#idle.get(key);
        if (list) list.push(c);
        else this.#idle.set(key, [c]);
        this.#armSweep();
      },
      gone: (c) => {
        this.#all.delete(c);
        const list = this.#idle.get(key);
        const at = list?.indexOf(c) ?? -1;
        if (at >= 0) list!.splice(at, 1);
        if (list?.length === 0) this.#idle.delete(key);
        if (this.#closed && this.#all.size === 0) this.#drained?.();
      },
    });
    this.#all.add(connection);
    return connection;
  }

  /** No request is taken from now on, and idle connections are no longer swept. */
  #refuseNew(): void {
    this.#closed = true;
    if (this.#sweep !== undefined) this.#o.clock.clearTimeout(this.#sweep);
    this.#sweep = undefined;
  }

  /** One timer for every idle connection: closes those past their keep-alive time, again while any stays idle. */
  #armSweep(): void {
    if (this.#sweep !== undefined) return;
    this.#sweep = this.#o.clock.setTimeout(
      () => {
        this.#sweep = undefined;
        const now = this.#o.clock.now();
        for (const list of [...this.#idle.values()]) {
          for (const c of [...list]) if (!c.reusableAt(now)) c.destroy();
        }
        if (this.#idle.size > 0) this.#armSweep();
      },
      Math.min(this.#o.keepAliveTimeoutMs, 5_000),
    );
    // Idle connections alone do not keep the process alive (a real clock's timer; a simulated one has no unref).
    (this.#sweep as { unref?(): void }).unref?.();
  }
}

/** One request's side of undici's DispatchController, handed to the handler. */
class Exchange implements Dispatcher.DispatchController {
  readonly #handler: Dispatcher.DispatchHandler;
  connection: Connection | undefined;
  #aborted = false;
  #paused = false;
  #reason: Error | null = null;
  /** The handler heard the end or an error: nothing more reaches it. */
  finished = false;

  constructor(handler: Dispatcher.DispatchHandler) {
    this.#handler = handler;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get reason(): Error | null {
    return this.#reason;
  }

  abort(reason: Error): void {
    if (this.#aborted || this.finished) return;
    this.#aborted = true;
    this.#reason = reason;
    // The handler hears the caller's reason, not the closed connection's.
    this.fail(reason);
    this.connection?.destroy();
  }

  pause(): void {
    this.#paused = true;
    this.connection?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.connection?.resume();
  }

  start(status: number, headers: IncomingHttpHeaders, message: string): void {
    if (!this.finished) this.#handler.onResponseStart?.(this, status, headers, message);
  }

  data(chunk: Buffer): void {
    if (!this.finished) this.#handler.onResponseData?.(this, chunk);
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.#handler.onResponseEnd?.(this, {});
  }

  fail(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.#handler.onResponseError?.(this, error);
  }
}

type Framing = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' } | { kind: 'none' };

/** One keep-alive connection: sends a request, parses its answer, then offers itself for the next. */
class Connection {
  readonly #socket: Socket;
  readonly #o: PlainHttp1Options;
  readonly #pool: { idle(c: Connection): void; gone(c: Connection): void };
  #exchange: Exchange | undefined;
  #buffer: Buffer | undefined;
  #phase: 'idle' | 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' = 'idle';
  #framing: Framing = { kind: 'none' };
  #chunkLeft = 0;
  #keepAlive = true;
  /** How long this connection may stay idle after the current answer (ours, or the server's hint). */
  #idleMs = 0;
  #idleUntil = 0;
  /** Whether any byte of the current answer arrived: a close before that on a reused connection is a stale socket. */
  #heard = false;
  #headersTimer: unknown;
  /** This answer's body timeout (0: none), its timer once the body is awaited, and when its bytes last came. */
  #bodyTimeoutMs = 0;
  #bodyTimer: unknown;
  #bodyHeardAt = 0;
  #gone = false;

  constructor(origin: URL, options: PlainHttp1Options, pool: { idle(c: Connection): void; gone(c: Connection): void }) {
    this.#o = options;
    this.#pool = pool;
    const socket = connect({
      host: origin.hostname.replace(/^\[|\]$/g, ''),
      port: Number(origin.port || 80),
      noDelay: true,
      // TCP keepalive after 60 s idle, as undici's connector: the only liveness check of a quiet notification stream
      // (the OS default, often 2 h, would leave a stream through a dropped NAT or load-balancer flow silently dead).
      keepAlive: true,
      keepAliveInitialDelay: 60_000,
      timeout: options.connectTimeoutMs,
    });
    socket.once('timeout', () => {
      // Only the connect is timed this way: cleared once connected.
      this.destroy(httpError('UND_ERR_CONNECT_TIMEOUT', `connect timeout after ${options.connectTimeoutMs} ms`));
    });
    socket.once('connect', () => socket.setTimeout(0));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
    this.#socket = socket;
  }

  /** Whether this idle connection may carry another request at `now`. */
  reusableAt(now: number): boolean {
    return !this.#gone && this.#phase === 'idle' && this.#exchange === undefined && now < this.#idleUntil;
  }

  /** Sends a request: `head` (ASCII, else Latin-1 as `ascii` says) and `body` (UTF-8). */
  send(head: string, ascii: boolean, body: string, exchange: Exchange, bodyTimeoutMs: number): void {
    this.#exchange = exchange;
    this.#bodyTimeoutMs = bodyTimeoutMs;
    exchange.connection = this;
    this.#phase = 'head';
    this.#heard = false;
    this.#keepAlive = true;
    this.#headersTimer = this.#o.clock.setTimeout(() => {
      this.#headersTimer = undefined;
      this.destroy(httpError('UND_ERR_HEADERS_TIMEOUT', `no answer head within ${this.#o.headersTimeoutMs} ms`));
    }, this.#o.headersTimeoutMs);
    // A busy connection keeps the process alive; an idle one does not (#finish), as undici's.
    this.#socket.ref();
    if (ascii) {
      this.#socket.write(head + body);
    } else {
      this.#socket.cork();
      this.#socket.write(head, 'latin1');
      this.#socket.write(body, 'utf8');
      this.#socket.uncork();
    }
    if (exchange.paused) this.pause();
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    // The wait for the server starts again here: the time the reader held the answer was not the server's.
    if (this.#bodyTimer !== undefined) this.#bodyHeardAt = this.#o.clock.now();
    this.#socket.resume();
  }

  /** Ends the connection; an answer still being read fails with `error` (or "other side closed"). */
  destroy(error?: Error): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#clearHeadersTimer();
    this.#clearBodyTimer();
    this.#socket.destroy();
    this.#pool.gone(this);
    const exchange = this.#exchange;
    this.#exchange = undefined;
    if (!exchange || exchange.finished) return;
    if (this.#phase === 'body' && this.#framing.kind === 'close' && !error) {
      exchange.end();
      return;
    }
    exchange.fail(
      error ?? httpError('UND_ERR_SOCKET', this.#heard ? 'other side closed mid-answer' : 'other side closed'),
    );
  }

  #clearHeadersTimer(): void {
    if (this.#headersTimer === undefined) return;
    this.#o.clock.clearTimeout(this.#headersTimer);
    this.#headersTimer = undefined;
  }

  #clearBodyTimer(): void {
    if (this.#bodyTimer === undefined) return;
    this.#o.clock.clearTimeout(this.#bodyTimer);
    this.#bodyTimer = undefined;
  }

  /**
   * Times the rest of an answer whose head came: armed only when a read leaves it unfinished (a small answer that
   * comes whole in one read pays for no timer), then re-armed for what is left of the wait after each read. A reader
   * that paused the answer is slow, not the server: its wait starts again.
   */
  #watchBody(): void {
    if (this.#bodyTimeoutMs <= 0 || this.#bodyTimer !== undefined) return;
    const ms = this.#bodyTimeoutMs;
    this.#bodyHeardAt = this.#o.clock.now();
    const check = (): void => {
      this.#bodyTimer = undefined;
      if (this.#exchange === undefined || this.#gone) return;
      const now = this.#o.clock.now();
      if (this.#exchange.paused) this.#bodyHeardAt = now;
      const quiet = now - this.#bodyHeardAt;
      if (quiet >= ms) {
        this.destroy(httpError('UND_ERR_BODY_TIMEOUT', `no more of the answer's body within ${ms} ms`));
        return;
      }
      this.#bodyTimer = this.#o.clock.setTimeout(check, ms - quiet);
    };
    this.#bodyTimer = this.#o.clock.setTimeout(check, ms);
  }

  #onEnd(): void {
    // The server half-closed: an answer read to the close is complete; anything else is cut off.
    this.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#phase === 'idle' || !this.#exchange) {
      // Bytes nobody asked for: the connection can no longer be trusted to frame the next answer.
      this.destroy();
      return;
    }
    this.#heard = true;
    if (this.#bodyTimer !== undefined) this.#bodyHeardAt = this.#o.clock.now();
    const exchange = this.#exchange;
    let data = this.#buffer ? Buffer.concat([this.#buffer, chunk]) : chunk;
    this.#buffer = undefined;
    try {
      while (data.length > 0 && !this.#gone) {
        const rest = this.#step(data);
        if (rest === undefined) break;
        data = rest;
        // The answer is complete: bytes after it were sent unasked and leave the framing of the next in doubt.
        if (this.#exchange !== exchange) {
          if (data.length > 0) this.destroy();
          return;
        }
      }
      if (this.#phase !== 'head' && !this.#gone) this.#watchBody();
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  /** Consumes what it can of `data`; returns the rest, or undefined when it needs more bytes (kept in #buffer). */
  #step(data: Buffer): Buffer | undefined {
    switch (this.#phase) {
      case 'head':
        return this.#readHead(data);
      case 'body':
        return this.#readBody(data);
      case 'chunk-size': {
        const end = data.indexOf(CRLF);
        if (end < 0) return this.#wait(data, 'chunk size line');
        const line = data.toString('latin1', 0, end);
        // Leading zeros allowed; at most 8 hex digits after them (4 GiB), so the size is exact.
        const size = /^0*([0-9a-fA-F]{1,8})(?:[ \t]*;.*)?$/.exec(line);
        if (!size) {
          throw httpError('HPE_INVALID_CHUNK_SIZE', `invalid chunk size line ${JSON.stringify(line.slice(0, 40))}`);
        }
        this.#chunkLeft = Number.parseInt(size[1]!, 16);
        this.#phase = this.#chunkLeft === 0 ? 'trailers' : 'chunk-data';
        return data.subarray(end + 2);
      }
      case 'chunk-data': {
        const take = Math.min(this.#chunkLeft, data.length);
        this.#chunkLeft -= take;
        if (this.#chunkLeft === 0) this.#phase = 'chunk-end';
        this.#exchange!.data(data.subarray(0, take));
        return data.subarray(take);
      }
      case 'chunk-end':
        if (data.length < 2) return this.#wait(data, 'chunk end');
        if (data[0] !== 0x0d || data[1] !== 0x0a)
          throw httpError('HPE_INVALID_CHUNK_SIZE', 'chunk not followed by CRLF');
        this.#phase = 'chunk-size';
        return data.subarray(2);
      case 'trailers': {
        // Trailer lines, checked as header lines and dropped, then an empty line.
        if (data.length >= 2 && data[0] === 0x0d && data[1] === 0x0a) {
          this.#finish();
          return data.subarray(2);
        }
        const end = data.indexOf(HEAD_END);
        if (end < 0) return this.#wait(data, 'trailer section');
        const dropped: IncomingHttpHeaders = {};
        for (const line of data.toString('latin1', 0, end).split('\r\n')) addHeaderLine(line, dropped);
        this.#finish();
        return data.subarray(end + 4);
      }
      default:
        throw new Error('bytes read while no answer was awaited');
    }
  }

  #wait(data: Buffer, what: string): undefined {
    if (data.length > MAX_HEAD_BYTES) {
      throw httpError('UND_ERR_HEADERS_OVERFLOW', `${what} over ${MAX_HEAD_BYTES} bytes`);
    }
    // Lines must end in CRLF: a head ended by bare LFs would otherwise wait out the headers timeout.
    if (data.indexOf(LF_LF) >= 0) throw httpError('HPE_LF_EXPECTED', `${what} has lines ended by a bare LF`);
    this.#buffer = data;
    return undefined;
  }

  #readHead(data: Buffer): Buffer | undefined {
    const end = data.indexOf(HEAD_END);
    if (end < 0) return this.#wait(data, 'answer head');
    if (end > MAX_HEAD_BYTES) throw httpError('UND_ERR_HEADERS_OVERFLOW', `answer head over ${MAX_HEAD_BYTES} bytes`);
    const lines = data.toString('latin1', 0, end).split('\r\n');
    const status = STATUS_LINE.exec(lines[0]!);
    if (!status)
      throw httpError('HPE_INVALID_CONSTANT', `not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 40))}`);
    const code = Number(status[2]);
    const headers: IncomingHttpHeaders = {};
    for (let i = 1; i < lines.length; i++) addHeaderLine(lines[i]!, headers);
    const rest = data.subarray(end + 4);
    if (code >= 100 && code < 200) {
      if (code === 101) throw httpError('HPE_INVALID_STATUS', 'the server switched protocols');
      // 100 Continue, 102, 103 Early Hints: the answer follows.
      return rest;
    }
    this.#clearHeadersTimer();
    this.#framing = framing(code, headers);
    this.#keepAlive =
      status[1] === '1' &&
      !hasToken(headers.connection, 'close') &&
      this.#framing.kind !== 'close' &&
      !bodyOnBodilessStatus(code, headers);
    const hint = keepAliveHintMs(headers['keep-alive']);
    this.#idleMs = Math.min(this.#o.keepAliveTimeoutMs, hint === undefined ? Infinity : hint - KEEP_ALIVE_MARGIN_MS);
    this.#phase = this.#framing.kind === 'chunked' ? 'chunk-size' : 'body';
    this.#exchange!.start(code, headers, status[3] ?? '');
    if (this.#framing.kind === 'none') this.#finish();
    return rest;
  }

  #readBody(data: Buffer): Buffer {
    const framing = this.#framing;
    if (framing.kind === 'close') {
      this.#exchange!.data(data);
      return data.subarray(data.length);
    }
    if (framing.kind !== 'length') throw new Error(`no body to read with framing ${framing.kind}`);
    const take = Math.min(framing.left, data.length);
    framing.left -= take;
    this.#exchange!.data(data.subarray(0, take));
    if (framing.left === 0) this.#finish();
    return data.subarray(take);
  }

  #finish(): void {
    // The handler may have aborted while hearing the head or the last bytes: then the connection is gone already.
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    this.#exchange = undefined;
    exchange.connection = undefined;
    this.#phase = 'idle';
    this.#clearBodyTimer();
    if (this.#keepAlive && !this.#gone) {
      this.#socket.resume();
      this.#socket.unref();
      this.#idleUntil = this.#o.clock.now() + this.#idleMs;
      this.#pool.idle(this);
    } else {
      this.destroy();
    }
    exchange.end();
  }
}

/** One `name: value` line into `headers` (lower-cased names, repeats as arrays); a malformed line is an error. */
function addHeaderLine(line: string, headers: IncomingHttpHeaders): void {
  const colon = line.indexOf(':');
  const name = colon > 0 ? line.slice(0, colon) : '';
  if (!isHttpToken(name)) {
    throw httpError('HPE_INVALID_HEADER_TOKEN', `malformed header line ${JSON.stringify(line.slice(0, 40))}`);
  }
  const value = line.slice(colon + 1).replace(OWS, '');
  if (UNSAFE_VALUE.test(value))
    throw httpError('HPE_INVALID_HEADER_TOKEN', `header ${name} has CR, LF or NUL in its value`);
  const lower = name.toLowerCase();
  const seen = headers[lower];
  if (seen === undefined) headers[lower] = value;
  else if (Array.isArray(seen)) seen.push(value);
  else (headers as Record<string, string | string[]>)[lower] = [seen, value];
}

/** A 204 or 304 that declares a body anyway: its late bytes would be read as the next answer; the connection ends. */
function bodyOnBodilessStatus(status: number, headers: IncomingHttpHeaders): boolean {
  if (status !== 204 && status !== 304) return false;
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** How the answer's body is delimited (RFC 9112 6.3), or an error where the head is ambiguous. */
function framing(status: number, headers: IncomingHttpHeaders): Framing {
  const coding = headers['transfer-encoding'];
  const length = headers['content-length'];
  if (status === 204 || status === 304) return { kind: 'none' };
  if (coding !== undefined) {
    if (length !== undefined) {
      throw httpError('HPE_UNEXPECTED_CONTENT_LENGTH', 'the answer has both Content-Length and Transfer-Encoding');
    }
    const codings = (Array.isArray(coding) ? coding.join(',') : coding).split(',').map((c) => c.trim().toLowerCase());
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      throw httpError('HPE_INVALID_TRANSFER_ENCODING', `unsupported Transfer-Encoding ${JSON.stringify(coding)}`);
    }
    return { kind: 'chunked' };
  }
  if (length !== undefined) {
    const values = (Array.isArray(length) ? length.join(',') : String(length)).split(',').map((v) => v.trim());
    if (values.some((v) => !/^\d{1,15}$/.test(v) || v !== values[0]!)) {
      throw httpError('HPE_INVALID_CONTENT_LENGTH', `invalid Content-Length ${JSON.stringify(length)}`);
    }
    const left = Number(values[0]);
    return left === 0 ? { kind: 'none' } : { kind: 'length', left };
  }
  return { kind: 'close' };
}

function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .some((part) => part.trim().toLowerCase() === token);
}

/** `Keep-Alive: timeout=5, max=100` -> 5000. */
function keepAliveHintMs(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const match = text === undefined ? null : /(?:^|[,\s])timeout=(\d+)/i.exec(text);
  return match ? Number(match[1]) * 1_000 : undefined;
}
