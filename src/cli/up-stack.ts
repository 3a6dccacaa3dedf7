// `mcpre up`: the zero-setup way to see the whole system work, with no cluster and no internet. It starts two demo MCP
// backends on loopback, loads examples/up/demo.yaml (an MCPGroup and two direct MCPRemoteEndpoints pointing at
// them) into an in-memory object store with Kubernetes semantics, runs the operator's endpoint actors over that
// store, and runs the gateway with dynamic discovery of the group from the same store: the same code paths as in a
// cluster, only the API server is embedded.
import { readFile } from 'node:fs/promises';
import { validateGatewayConfig } from '../api/gateway/config.ts';
import { startOperator } from '../controllers/endpoint/operator.ts';
import { type DemoBackend, startDemoBackend } from '../gateway/demo-backend.ts';
import { startDynamicDiscovery } from '../gateway/discovery/dynamic-discovery.ts';
import { defaultLogger, startGateway } from '../gateway/gateway.ts';
import { parsePort, waitForSignal } from '../gateway/run-gateway.ts';
import { endpointMachine } from '../machines/endpoint.ts';
import { systemClock } from '../runtime/clock.ts';
import { ActorDirectory } from '../runtime/inspection/actor-directory.ts';
import { explainListenError } from '../runtime/listen.ts';
import { childLogger } from '../runtime/logging.ts';
import { packagePath } from '../runtime/package-root.ts';
import { startEmbeddedCluster } from '../sim/embedded-cluster.ts';

export interface UpOptions {
  port?: string;
  logLevel?: string;
}

const MANIFEST = packagePath('examples', 'up', 'demo.yaml');
const NAMESPACE = 'default';
const GROUP = 'demo';

export async function runUp(opts: UpOptions): Promise<void> {
  const logger = defaultLogger(opts.logLevel ?? 'warn');
  const stops: Array<() => Promise<void> | void> = [];
  const shutdown = async () => {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
  };
  try {
    const directory = new ActorDirectory({ now: systemClock.now });
    // The gateway binds first: a busy port ends the command before anything else has started.
    const gateway = await startGateway({
      config: validateGatewayConfig({ name: 'mcpre-up' }, 'embedded mcpre up config'),
      port: parsePort(opts.port, 4483),
      host: '127.0.0.1',
      logger,
      debug: { directory, machines: [endpointMachine] },
    }).catch((err: unknown) => {
      throw explainListenError(err, { portOption: '--port N', likelyOwner: 'another mcpre up?' });
    });
    stops.push(() => gateway.close());

    const demos: DemoBackend[] = [];
    for (const label of ['alpha', 'beta']) {
      const demo = await startDemoBackend({ label });
      demos.push(demo);
      stops.push(() => demo.close());
    }
    const cluster = startEmbeddedCluster();
    stops.push(() => cluster.close());
    const manifest = (await readFile(MANIFEST, 'utf8'))
      .replace('{{alpha}}', demos[0]!.url.href)
      .replace('{{beta}}', demos[1]!.url.href);
    const loaded = cluster.load(manifest, NAMESPACE);

    const operator = startOperator({
      http: cluster.http,
      logger: childLogger(logger, { component: 'operator' }),
      namespace: NAMESPACE,
      inspect: directory.inspect,
      instance: 'mcpre-up',
    });
    stops.push(() => operator.stop(1000));

    const discovery = startDynamicDiscovery({
      api: cluster.http,
      namespace: NAMESPACE,
      group: GROUP,
      logger,
      apply: (desired) => gateway.applyBackends(desired),
    });
    // Shut down in reverse: discovery, then the gateway (close is idempotent) while its demo backends still answer.
    stops.push(
      () => gateway.close(),
      () => discovery.stop(),
    );
    await Promise.all([operator.ready, discovery.synced]);

    // Print once the endpoints are Ready and their backends aggregated, so a first tools/list shows them.
    const endpointsReady = () =>
      cluster.api
        .peekAll('mcpremoteendpoints.toolhive.stacklok.dev')
        .filter((e) => (e.status as { phase?: string } | undefined)?.phase === 'Ready').length;
    for (let i = 0; i < 250; i++) {
      const backends = gateway.backends();
      if (endpointsReady() === 2 && backends.length === 2 && backends.every((b) => b.state === 'ready')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    gateway.aggregator.flush();
    const base = new URL('/', gateway.url);
    const lines = [
      `mcpre up: gateway serving MCP at ${gateway.url.href}`,
      `  in-memory cluster: ${loaded.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')} (from examples/up/demo.yaml)`,
      ...cluster.api
        .peekAll('mcpremoteendpoints.toolhive.stacklok.dev')
        .map(
          (e) =>
            `  endpoint ${e.metadata.name}: ${(e.status as { phase?: string } | undefined)?.phase ?? 'Pending'} (reconciled by the operator's endpoint actor)`,
        ),
      ...gateway.backends().map((b) => `  backend ${b.name}: ${b.state} (discovered from MCPGroup ${GROUP})`),
      `  tools: ${gateway.aggregator.view.tools.map((t) => t.name).join(', ')}`,
      `  live state charts ${new URL('/debug/actors', base).href}`,
      `  health ${new URL('/readyz', base).href}  metrics ${new URL('/metrics', base).href}`,
      '  connect an MCP client (Streamable HTTP) to the URL above; Ctrl-C stops everything',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await waitForSignal();
  } finally {
    await shutdown();
  }
}
