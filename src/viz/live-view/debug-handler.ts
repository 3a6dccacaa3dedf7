// `/debug/actors`: the live state-chart view served by the operator and the gateway. Charts are rendered to SVG
// on the server with Graphviz compiled to WASM (@viz-js/viz, from npm), so the page needs no CDN and no framework;
// the page highlights each actor's active states and follows changes over SSE. What it shows of an actor (context
// summary, transition reasons) is checked against every credential a backend was sent: reasons are redacted where
// they are made, and this is the second line of defence for a page anyone with network access may open.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyStateMachine } from 'xstate';
import { knownSecrets } from '../../actors/mcp/redactor.ts';
import type { ActorDirectory, ActorRecord } from '../../runtime/inspection/actor-directory.ts';
import { packagePath } from '../../runtime/package-root.ts';
import { activeStateIds, toDot } from '../dot.ts';
import { toChart } from '../statechart.ts';

// Read from the package, not next to this module: the build in dist/ holds only compiled modules.
const PAGE = readFileSync(packagePath('src', 'viz', 'live-view', 'page.html'), 'utf8');

export interface DebugViewOptions {
  directory: ActorDirectory;
  /** Machines by id, for their charts. */
  machines: AnyStateMachine[];
  keepAliveMs?: number;
  /**
   * Rows that are not actors but belong in the view, served at /debug/backends.json and shown above the actors: a
   * gateway's backends with their state and reason, including those left out or failed before any session actor ran.
   */
  backends?: () => ReadonlyArray<{ name: string; type: string; state: string; reason?: string }>;
}

function view(rec: ActorRecord) {
  return { ...knownSecrets.redactDeep(rec), active: activeStateIds(rec.machine, rec.value) };
}

export function createDebugHandler(opts: DebugViewOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const machines = new Map(opts.machines.map((m) => [m.id, m]));
  const svgCache = new Map<string, Promise<string>>();
  const svgFor = (id: string) => {
    let svg = svgCache.get(id);
    if (!svg) {
      const machine = machines.get(id);
      if (!machine) return undefined;
      svg = import('@viz-js/viz').then(async ({ instance }) =>
        (await instance()).renderString(toDot(toChart(machine)), { format: 'svg' }),
      );
      svgCache.set(id, svg);
    }
    return svg;
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || !url.pathname.startsWith('/debug/')) return false;
    if (url.pathname === '/debug/actors') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE);
      return true;
    }
    if (url.pathname === '/debug/actors.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ machines: [...machines.keys()].sort(), actors: opts.directory.list().map(view) }));
      return true;
    }
    if (url.pathname === '/debug/backends.json') {
      if (!opts.backends) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no backends in this process\n');
        return true;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ backends: opts.backends() }));
      return true;
    }
    if (url.pathname === '/debug/actors/stream') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send('actors', opts.directory.list().map(view));
      const unsubscribe = opts.directory.subscribe((rec, removed) =>
        removed ? send('removed', { id: rec.id }) : send('actor', view(rec)),
      );
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), opts.keepAliveMs ?? 15_000);
      req.on('close', () => {
        clearInterval(keepAlive);
        unsubscribe();
      });
      return true;
    }
    const chart = /^\/debug\/charts\/([A-Za-z0-9_.-]+)\.svg$/.exec(url.pathname);
    if (chart?.[1]) {
      const svg = svgFor(chart[1]);
      if (!svg) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`no machine named ${chart[1]}\n`);
        return true;
      }
      svg.then(
        (body) => {
          res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=60' });
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`rendering failed: ${err.message}\n`);
        },
      );
      return true;
    }
    return false;
  };
}
