// `mcpre up`: the zero-setup way to see the gateway work. Two demo MCP backends on loopback, the gateway over them
// from an embedded config, and the URL to point an MCP client at. No cluster, no internet, nothing to configure.
// (The operator's in-memory store and endpoint actors join this process once they exist; see the issue.)
import { validateGatewayConfig } from '../../api/gateway-config.ts';
import { ActorDirectory } from '../inspection/actor-directory.ts';
import { type DemoBackend, startDemoBackend } from './demo-backend.ts';
import { defaultLogger, startGateway } from './gateway.ts';
import { parsePort, untilSignal } from './run-gateway.ts';

export interface UpOptions {
  port?: string;
  logLevel?: string;
}

export async function runUp(opts: UpOptions): Promise<void> {
  const logger = defaultLogger(opts.logLevel ?? 'warn');
  const demos: DemoBackend[] = [];
  try {
    demos.push(await startDemoBackend({ label: 'alpha' }), await startDemoBackend({ label: 'beta' }));
  } catch (err) {
    await Promise.allSettled(demos.map((d) => d.close()));
    throw err;
  }
  const config = validateGatewayConfig(
    {
      name: 'mcpre-up',
      backends: demos.map((d, i) => ({ name: ['alpha', 'beta'][i], url: d.url.href, type: 'direct' })),
    },
    'embedded mcpre up config',
  );
  const directory = new ActorDirectory({ now: () => Date.now() });
  const gateway = await startGateway({
    config,
    port: parsePort(opts.port, 4483),
    host: '127.0.0.1',
    logger,
    debug: { directory },
  }).catch(async (err: NodeJS.ErrnoException) => {
    await Promise.allSettled(demos.map((d) => d.close()));
    if (err.code === 'EADDRINUSE')
      throw new Error(`port ${opts.port ?? 4483} is in use: pick another with --port N (0 = any free port)`);
    throw err;
  });
  // Print once the demo backends are aggregated, so the first tools/list a person makes shows them.
  for (let i = 0; i < 250 && !gateway.backends().every((b) => b.state === 'ready'); i++) await sleep(20);
  gateway.aggregator.flush();
  const base = new URL('/', gateway.url);
  const lines = [
    `mcpre up: gateway serving MCP at ${gateway.url.href}`,
    ...gateway.backends().map((b) => `  backend ${b.name}: ${b.state} (demo MCP server on loopback)`),
    `  tools: ${gateway.aggregator.view.tools.map((t) => t.name).join(', ')}`,
    `  live state charts ${new URL('/debug/actors', base).href}`,
    `  health ${new URL('/readyz', base).href}  metrics ${new URL('/metrics', base).href}`,
    `  connect an MCP client (Streamable HTTP) to the URL above; Ctrl-C stops everything`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await untilSignal(gateway, async () => {
    await Promise.allSettled(demos.map((d) => d.close()));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
