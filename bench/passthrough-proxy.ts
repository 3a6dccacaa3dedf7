// The least any Node HTTP proxy can cost per call, for the latency benchmark to print beside the gateway: node:http
// in, one undici Pool out, headers and bytes copied through, nothing read, checked or logged. It is not an MCP gateway
// (one backend, no aggregation, no prefixes, no sessions of its own: the backend's session id passes through), so a
// client speaks to the backend through it exactly as it would directly. What the gateway costs above this row is
// what its own work costs; what this row costs above direct is the price of a second hop in Node on this machine.
//   node bench/passthrough-proxy.ts <backend url>     prints `serving MCP at <url>`; exits on SIGTERM or stdin close.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const backend = new URL(process.argv[2] ?? '');
const pool = new Pool(backend.origin);
/** Hop-by-hop headers (RFC 9110 7.6.1) and the ones undici sets itself. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length', 'upgrade']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP.has(name)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

const server = createServer(async (req, res) => {
  // A client that goes away (a closed GET stream) ends the backend request too.
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = await pool.request({
      method: req.method as 'GET',
      path: backend.pathname,
      headers: forwardable(req.headers),
      body: chunks.length > 0 ? Buffer.concat(chunks) : null,
      signal: gone.signal,
    });
    // The head goes out with the first chunk of the body, as one write.
    res.writeHead(answer.statusCode, forwardable(answer.headers as IncomingHttpHeaders));
    for await (const chunk of answer.body) res.write(chunk);
    res.end();
  } catch (err) {
    if (!res.headersSent) res.writeHead(502).end(String(err));
    else res.destroy();
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`serving MCP at http://127.0.0.1:${port}/mcp`);
});
// Nothing here outlives the process: no state to flush, so stopping is exiting.
process.once('SIGTERM', () => process.exit(0));
process.stdin.on('end', () => process.exit(0)).resume();
