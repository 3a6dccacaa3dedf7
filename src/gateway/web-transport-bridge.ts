// Serves one HTTP request of a client session with the SDK's web-standard Streamable HTTP transport. The SDK's Node
// wrapper converts every request and response through @hono/node-server: a Request with its Headers, a URL, and for
// each streamed answer a reader loop that waits on a timer. The transport reads only the method, the URL and some
// headers of a request, and the gateway has already read and parsed the body (http-server.ts enforces its size cap),
// so this bridge hands it a view of the IncomingMessage and writes the Response out itself, coalescing what is ready
// into one write: an answer whose stream ends with it goes out together with the end of the stream.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';

/** The part of the Fetch API's Headers the transport uses, read from Node's headers (already lower-case). */
class IncomingHeaders {
  readonly #raw: IncomingHttpHeaders;

  constructor(raw: IncomingHttpHeaders) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    const value = this.#raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.#raw[name.toLowerCase()] !== undefined;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const [name, value] of Object.entries(this.#raw)) {
      if (value !== undefined) yield [name, Array.isArray(value) ? value.join(', ') : value];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

export async function serveWithWebTransport(
  transport: WebStandardStreamableHTTPServerTransport,
  req: IncomingMessage & { auth?: AuthInfo },
  res: ServerResponse,
  parsedBody: unknown,
): Promise<void> {
  const request = {
    method: req.method ?? 'GET',
    url: `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`,
    headers: new IncomingHeaders(req.headers),
  } as unknown as Request;
  const response = await transport.handleRequest(request, { authInfo: req.auth, parsedBody });
  await writeResponse(response, res);
}

const START_HOLD_MS = 1;

/** Write a web Response out on a Node response; a client that goes away cancels its body. */
export async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = response.body;
  if (!body) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  if (!headers['content-type']?.startsWith('text/event-stream')) {
    // A JSON answer (an error, or a JSON response): whole, with its length.
    const bytes = Buffer.from(await response.arrayBuffer());
    headers['content-length'] = String(bytes.length);
    res.writeHead(response.status, headers);
    res.end(bytes);
    return;
  }
  res.writeHead(response.status, headers);
  const reader = body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  res.once('close', cancel);
  try {
    // The start of a stream waits up to a millisecond for what follows, as the SDK's own Node adapter lets it: a quick
    // answer then leaves in one write with the headers and the priming event (the id a client resumes from).
    let read = reader.read();
    let chunk = await readWithin(read, START_HOLD_MS);
    if (chunk === undefined) {
      // Nothing to send yet (a GET stream waiting for notifications): the client learns now that the stream is open.
      res.flushHeaders();
      chunk = await read;
    }
    let holdMs = START_HOLD_MS;
    for (;;) {
      if (chunk.done) {
        res.end();
        return;
      }
      read = reader.read();
      const following = await readWithin(read, holdMs);
      holdMs = 0;
      if (following?.done) {
        res.end(chunk.value);
        return;
      }
      if (!res.write(chunk.value) && !(await drained(res))) return;
      chunk = following ?? (await read);
    }
  } catch (err) {
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  } finally {
    res.off('close', cancel);
  }
}

/** The read's result if the stream holds it or it comes within `ms`, else undefined (the read stays pending). */
async function readWithin<T>(read: Promise<T>, ms: number): Promise<T | undefined> {
  const ready = await Promise.race([read, Promise.resolve().then(() => Promise.resolve(undefined))]);
  if (ready !== undefined || ms === 0) return ready;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([read, late]).finally(() => clearTimeout(timer));
}

function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
