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
 * Characters held while stderr does not keep up (a stalled log reader): beyond this, lines are dropped and counted,
 * and the count is written with the next batch that gets out. Memory stays bounded; the gateway never waits for its log.
 */
export const MAX_PENDING_CHARS = 8 * 1024 * 1024;

export interface BatchedDestination extends DestinationStream {
  /** Writes what is pending now, synchronously (at exit). */
  flushSync(): void;
}

/**
 * stderr (or `fd`) written in batches. What is still collected is written synchronously at exit; a SIGKILL loses at
 * most the last 100 ms. Write errors never reach the caller: an unwritable stderr must not stop the gateway, so the
 * batch is dropped, counted and reported in the next batch that can be written (a closed pipe stops all writing).
 */
export function batchedStderr(fd = 2): BatchedDestination {
  let pending: string[] = [];
  let pendingChars = 0;
  /** The batch handed to fs.write and not yet confirmed written (rewritten at exit: a repeat beats a loss). */
  let inFlight: Buffer | undefined;
  let inFlightOffset = 0;
  let dropped = 0;
  let lastError = '';
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const takeBatch = (): Buffer => {
    if (dropped > 0) {
      pending.push(droppedLine(dropped, lastError));
      dropped = 0;
    }
    const text = pending.join('');
    pending = [];
    pendingChars = 0;
    return Buffer.from(text);
  };

  const writeSome = () => {
    const buffer = inFlight as Buffer;
    fs.write(fd, buffer, inFlightOffset, buffer.length - inFlightOffset, null, (error, written) => {
      // Nothing written without an error would retry forever: treat it as the error it stands for.
      if (error || written === 0) return failed(error ?? Object.assign(new Error('wrote nothing'), { code: 'EIO' }));
      inFlightOffset += written;
      if (inFlightOffset < buffer.length) return writeSome();
      inFlight = undefined;
      afterWrite();
    });
  };

  const failed = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EAGAIN') {
      // A non-blocking stderr that is full: try the rest again later, not at once in a loop.
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        writeSome();
      }, BATCH_MS).unref();
      return;
    }
    dropped += countLines(inFlight as Buffer, inFlightOffset);
    lastError = error.code ?? error.message;
    inFlight = undefined;
    if (error.code === 'EPIPE') {
      // Nobody reads stderr any more: stop writing (and holding lines) for good.
      closed = true;
      pending = [];
      pendingChars = 0;
      return;
    }
    afterWrite();
  };

  const afterWrite = () => {
    if (pendingChars >= BATCH_CHARS) startWrite();
    else arm();
  };

  const startWrite = () => {
    clearTimeout(timer);
    timer = undefined;
    if (inFlight !== undefined || closed || (pendingChars === 0 && dropped === 0)) return;
    inFlight = takeBatch();
    inFlightOffset = 0;
    writeSome();
  };

  // Armed only while something waits, not a standing interval: a process with nothing to log has no timer waking it.
  const arm = () => {
    if (timer === undefined && inFlight === undefined && pendingChars > 0)
      timer = setTimeout(startWrite, BATCH_MS).unref();
  };

  const destination: BatchedDestination = {
    write(line: string) {
      if (closed) return true;
      if (pendingChars >= MAX_PENDING_CHARS) {
        dropped++;
        lastError = 'stderr not keeping up';
        return true;
      }
      pending.push(line);
      pendingChars += line.length;
      if (pendingChars >= BATCH_CHARS) startWrite();
      else arm();
      return true;
    },
    flushSync() {
      clearTimeout(timer);
      clearTimeout(retryTimer);
      timer = retryTimer = undefined;
      if (closed) return;
      const rest = inFlight?.subarray(inFlightOffset);
      inFlight = undefined;
      const batch = pendingChars > 0 || dropped > 0 ? takeBatch() : undefined;
      for (const buffer of [rest, batch]) {
        if (buffer === undefined) continue;
        try {
          for (let offset = 0; offset < buffer.length; ) offset += fs.writeSync(fd, buffer, offset);
        } catch {
          return;
        }
      }
    },
  };
  if (flushedAtExit.size >= 64)
    for (const ref of flushedAtExit) if (ref.deref() === undefined) flushedAtExit.delete(ref);
  flushedAtExit.add(new WeakRef(destination));
  return destination;
}

/** Destinations to flush when the process exits; held weakly, so a discarded logger's destination can be collected. */
const flushedAtExit = new Set<WeakRef<BatchedDestination>>();
process.on('exit', () => {
  for (const ref of flushedAtExit) ref.deref()?.flushSync();
});

function countLines(buffer: Buffer, from: number): number {
  let lines = 0;
  for (let at = buffer.indexOf(10, from); at !== -1; at = buffer.indexOf(10, at + 1)) lines++;
  return lines;
}

function droppedLine(count: number, reason: string): string {
  return `${JSON.stringify({ level: 40, time: Date.now(), component: 'logging', dropped: count, reason, msg: 'log lines dropped' })}\n`;
}
