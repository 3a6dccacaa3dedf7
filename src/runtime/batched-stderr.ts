// The log destination of the gateway and the tracing SDK: stderr, written asynchronously and in batches. A gateway
// writes an audit line per call; each write hands a buffer to libuv's thread pool (a thread wake-up), which cost more
// than composing the line. Lines collect up to 16 KiB, or for at most 100 ms, and go out in one write.
//
// Not sonic-boom (pino.destination): it measures its whole pending batch again for every line it is given
// (Buffer.byteLength of the growing string, which flattens and copies it), and copies each written string into a
// Buffer again after the write. Here a line is measured once, a batch is joined once and converted once.
import fs from 'node:fs';
import type { DestinationStream } from 'pino';

/** Characters of log lines collected before one write; under load a write carries many lines. */
export const BATCH_CHARS = 16 * 1024;
/** The longest a line waits for others before it is written anyway. */
export const BATCH_MS = 100;
/**
 * Characters held, waiting and being written, while stderr does not keep up (a stalled log reader): beyond this,
 * lines are dropped and counted, and the count is written with the next batch that gets out. Memory stays bounded
 * (about 8 MiB for ASCII lines); the gateway never waits for its log.
 */
export const MAX_HELD_CHARS = 8 * 1024 * 1024;
/** At exit, a full non-blocking stderr is tried again for this long before what is left is given up. */
const EXIT_RETRY_MS = 1_000;
const EXIT_RETRY_STEP_MS = 10;

/**
 * The batched destination of `fd` (stderr unless given): one per file descriptor and process, so that two loggers
 * (the gateway's and the tracing SDK's) never write into the middle of each other's lines.
 */
export function batchedStderr(fd = 2): DestinationStream {
  let destination = byFd.get(fd);
  if (!destination) {
    destination = new BatchedFd(fd);
    byFd.set(fd, destination);
  }
  return destination;
}

const byFd = new Map<number, BatchedFd>();
process.on('exit', () => {
  for (const destination of byFd.values()) destination.exit();
});

/**
 * Write errors never reach the caller: an unwritable stderr must not stop the gateway, so a failed batch is dropped,
 * counted and reported in the next batch that can be written; a closed pipe (EPIPE) stops all writing. At exit what
 * is collected is written synchronously, and so is every line logged after that; a SIGKILL loses at most the last
 * 100 ms. A batch still being written at exit (its thread may be blocked on a stalled reader) ends the writing there:
 * waiting for it could hang the exit, and writing past it could repeat or interleave its bytes.
 */
class BatchedFd implements DestinationStream {
  readonly #fd: number;
  #pending: string[] = [];
  #pendingChars = 0;
  /** The batch handed to fs.write and not yet confirmed written. */
  #inFlight: Buffer | undefined;
  #inFlightOffset = 0;
  /** The dropped lines the batch in flight reports (its last line): counted again if that batch is lost. */
  #inFlightReports = 0;
  #dropped = 0;
  /** A failed write got part of a line out: the next batch starts by ending it, so its own lines stay whole. */
  #lineCut = false;
  /** The batch in flight starts with the newline that ends a cut line (not a line of its own). */
  #inFlightPrefixed = false;
  #lastError = '';
  #closed = false;
  #exiting = false;
  #timer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(line: string): boolean {
    if (this.#closed) return true;
    if (this.#exiting) {
      this.#writeSync(Buffer.from(line));
      return true;
    }
    const inFlightLeft = this.#inFlight ? this.#inFlight.length - this.#inFlightOffset : 0;
    if (this.#pendingChars + inFlightLeft >= MAX_HELD_CHARS) {
      this.#dropped++;
      this.#lastError = 'stderr not keeping up';
      return true;
    }
    this.#pending.push(line);
    this.#pendingChars += line.length;
    if (this.#pendingChars >= BATCH_CHARS) this.#startWrite();
    else this.#arm();
    return true;
  }

  /** The process is exiting: write what is collected now, and every later line at once (see the class comment). */
  exit(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#retryTimer);
    this.#timer = this.#retryTimer = undefined;
    this.#exiting = true;
    if (this.#closed) return;
    if (this.#inFlight !== undefined) {
      this.#closed = true;
      return;
    }
    if (this.#pendingChars > 0 || this.#dropped > 0) this.#writeSync(this.#takeBatch());
  }

  #takeBatch(): Buffer {
    this.#inFlightReports = this.#dropped;
    if (this.#dropped > 0) {
      this.#pending.push(droppedLine(this.#dropped, this.#lastError));
      this.#dropped = 0;
    }
    this.#inFlightPrefixed = this.#lineCut;
    const text = this.#lineCut ? `\n${this.#pending.join('')}` : this.#pending.join('');
    this.#lineCut = false;
    this.#pending = [];
    this.#pendingChars = 0;
    return Buffer.from(text);
  }

  #startWrite(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight !== undefined || this.#closed || (this.#pendingChars === 0 && this.#dropped === 0)) return;
    this.#inFlight = this.#takeBatch();
    this.#inFlightOffset = 0;
    this.#writeSome();
  }

  #writeSome(): void {
    const buffer = this.#inFlight as Buffer;
    fs.write(this.#fd, buffer, this.#inFlightOffset, buffer.length - this.#inFlightOffset, null, (error, written) => {
      // Once exiting, the exit handler has decided what happens to this batch (see the class comment).
      if (this.#exiting) return;
      // Nothing written without an error would retry forever: treat it as the error it stands for.
      if (error || written === 0)
        return this.#failed(error ?? Object.assign(new Error('wrote nothing'), { code: 'EIO' }));
      this.#inFlightOffset += written;
      if (this.#inFlightOffset < buffer.length) return this.#writeSome();
      this.#inFlight = undefined;
      this.#afterWrite();
    });
  }

  #failed(error: NodeJS.ErrnoException): void {
    if (error.code === 'EAGAIN') {
      // A non-blocking stderr that is full: try the rest again later, not at once in a loop.
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        if (!this.#exiting) this.#writeSome();
      }, BATCH_MS).unref();
      return;
    }
    const buffer = this.#inFlight as Buffer;
    // The report of earlier drops is the batch's last line, so it is among the unwritten ones: count what it counted.
    const lost = countLines(buffer, Math.max(this.#inFlightOffset, this.#inFlightPrefixed ? 1 : 0));
    this.#dropped += this.#inFlightReports > 0 ? lost - 1 + this.#inFlightReports : lost;
    this.#lastError = error.code ?? error.message;
    // A cut line stays cut until a batch's first byte, its ending newline, is written.
    this.#lineCut = this.#inFlightOffset > 0 ? buffer[this.#inFlightOffset - 1] !== 0x0a : this.#inFlightPrefixed;
    this.#inFlight = undefined;
    if (error.code === 'EPIPE') {
      // Nobody reads stderr any more: stop writing (and holding lines) for good.
      this.#closed = true;
      this.#pending = [];
      this.#pendingChars = 0;
      return;
    }
    this.#afterWrite();
  }

  #afterWrite(): void {
    if (this.#pendingChars >= BATCH_CHARS) this.#startWrite();
    else this.#arm();
  }

  // Armed only while something waits, not a standing interval: a process with nothing to log has no timer waking it.
  #arm(): void {
    if (this.#timer === undefined && this.#inFlight === undefined && this.#pendingChars > 0)
      this.#timer = setTimeout(() => this.#startWrite(), BATCH_MS).unref();
  }

  /**
   * Exit only: blocks, retrying a full non-blocking stderr for up to EXIT_RETRY_MS; any other error ends the writing.
   */
  #writeSync(buffer: Buffer): void {
    let waited = 0;
    for (let offset = 0; offset < buffer.length; ) {
      try {
        offset += fs.writeSync(this.#fd, buffer, offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || waited >= EXIT_RETRY_MS) {
          this.#closed = true;
          return;
        }
        Atomics.wait(exitWait, 0, 0, EXIT_RETRY_STEP_MS);
        waited += EXIT_RETRY_STEP_MS;
      }
    }
  }
}

/** What the exit path waits on between tries (nothing ever notifies it: Atomics.wait is a bounded sleep here). */
const exitWait = new Int32Array(new SharedArrayBuffer(4));

function countLines(buffer: Buffer, from: number): number {
  let lines = 0;
  for (let at = buffer.indexOf(10, from); at !== -1; at = buffer.indexOf(10, at + 1)) lines++;
  return lines;
}

function droppedLine(count: number, reason: string): string {
  const line = { level: 40, time: Date.now(), component: 'logging', dropped: count, reason, msg: 'log lines dropped' };
  return `${JSON.stringify(line)}\n`;
}
