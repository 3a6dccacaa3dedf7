// Large results of parallel calls to one backend over HTTP/2, where every call shares one connection and so one
// connection-level flow-control window, vs over HTTP/1.1 (a connection per call in flight). A TCP relay on loopback
// delays every chunk by half the round trip each way (bandwidth unlimited), standing for a remote backend. Rows: the
// gateway's backend client (src/actors/mcp/http/http-client.ts) toward an HTTP/1.1 backend and toward an HTTP/2 one,
// and undici's default HTTP/2 windows (512 KiB connection, 256 KiB stream) for comparison. Time for PARALLEL
// responses of SIZE MiB each, median of 5 after one warm-up, per round trip.
//   npx node bench/backend-h2-window.bench.ts [parallel] [MiB each]     (default: 8 2)

import { createSecureServer } from 'node:http2';
import { createServer as createHttps } from 'node:https';
import { type AddressInfo, createServer as createTcp, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { createHttpClient } from '../src/actors/mcp/http/http-client.ts';
import { Agent } from '../src/actors/mcp/http/undici-agent.ts';
import { makeControlPlaneCerts } from '../src/control-plane/certs.ts';
import { systemClock } from '../src/runtime/clock.ts';

const parallel = Number(process.argv[2] ?? 8);
const size = Number(process.argv[3] ?? 2) * 1024 * 1024;
const ROUND_TRIPS_MS = [0, 40, 100];
const certs = await makeControlPlaneCerts(new Date());
const body = Buffer.alloc(size, 'x');
const tls = { cert: certs.serving.certPem, key: certs.serving.keyPem };
// Node's HTTP/2 server counts unsent response bytes against maxSessionMemory (10 MB by default) and resets the
// streams beyond it: raised here, so that the client's windows are what is measured.
const h2 = createSecureServer({ ...tls, maxSessionMemory: 1024 }, (_req, res) => res.end(body));
const h1 = createHttps(tls, (_req, res) => res.end(body));

const listen = (s: Server | typeof h2 | typeof h1) =>
  new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

/** A TCP relay to `port` holding every chunk for `delayMs` each way (order kept: equal timers fire in order). */
function delayedRelay(port: number, delayMs: number): Promise<number> {
  const relay = createTcp((down) => {
    const up = tcpConnect(port, '127.0.0.1');
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => setTimeout(() => to.write(chunk), delayMs));
      from.on('end', () => setTimeout(() => to.end(), delayMs));
      from.on('error', () => to.destroy());
    };
    forward(down, up);
    forward(up, down);
  });
  return listen(relay);
}

type Requester = { request: InstanceType<typeof Agent>['request']; close(): Promise<void> };

async function measure(client: Requester, port: number): Promise<number> {
  const once = async () => {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        const res = await client.request({ origin: `https://localhost:${port}`, path: '/', method: 'GET' });
        let received = 0;
        for await (const chunk of res.body) received += (chunk as Buffer).length;
        if (received !== size) throw new Error(`short body: ${received} of ${size} bytes`);
      }),
    );
    return performance.now() - started;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await once());
  return times.sort((a, b) => a - b)[2]!;
}

const [h2Port, h1Port] = [await listen(h2), await listen(h1)];
const gatewayClient = () => {
  const c = createHttpClient({ clock: systemClock, caBundlePem: certs.servingCa.certPem, caBundleSource: 'bench CA' });
  return { request: c.dispatcher.request.bind(c.dispatcher), close: () => c.close() } as Requester;
};
const undiciDefault = () =>
  new Agent({ connect: { ca: certs.servingCa.certPem, allowH2: true } }) as unknown as Requester;

console.log(`${parallel} parallel responses of ${size / 1024 / 1024} MiB to one backend, median of 5 (ms)`);
console.log(
  'RTT ms   HTTP/1.1 (gateway)   HTTP/2 undici default   HTTP/2 (gateway)   h2 default / h1   h2 gateway / h1',
);
for (const rtt of ROUND_TRIPS_MS) {
  const row: number[] = [];
  for (const [make, port] of [
    [gatewayClient, h1Port],
    [undiciDefault, h2Port],
    [gatewayClient, h2Port],
  ] as const) {
    const client = make();
    // No relay at 0 ms: a zero timer still waits a millisecond, so the row would not be loopback.
    row.push(await measure(client, rtt === 0 ? port : await delayedRelay(port, rtt / 2)));
    await client.close();
  }
  const [one, def, ours] = row as [number, number, number];
  console.log(
    `${String(rtt).padStart(6)}   ${one.toFixed(0).padStart(18)}   ${def.toFixed(0).padStart(21)}   ${ours.toFixed(0).padStart(16)}   ${(def / one).toFixed(2).padStart(14)}x   ${(ours / one).toFixed(2).padStart(14)}x`,
  );
}
process.exit(0);
