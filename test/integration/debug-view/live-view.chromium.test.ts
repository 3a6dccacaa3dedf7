// The live view in a real headless Chromium (Debian's chromium driven by playwright-core): the page loads, shows a
// known actor in the right state with that state highlighted in its chart, and follows a state change live.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, setup } from 'xstate';
import { ActorDirectory } from '../../../src/runtime/inspection/actor-directory.ts';
import { createDebugHandler } from '../../../src/viz/live-view/debug-handler.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const demo = setup({ types: { events: {} as { type: 'CONNECTED' } | { type: 'LOST'; reason: string } } }).createMachine(
  {
    id: 'demoSession',
    initial: 'connecting',
    states: {
      connecting: { on: { CONNECTED: 'ready' } },
      ready: { on: { LOST: 'reinitializing' } },
      reinitializing: { on: { CONNECTED: 'ready' } },
    },
  },
);

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('live state-chart view in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let base: string;
  const clock = new SimulatedClock();
  const directory = new ActorDirectory({ now: () => clock.now() });
  const actor = createActor(demo, { clock, inspect: directory.inspect, systemId: 'backend:everything' });

  beforeAll(async () => {
    actor.start();
    const handler = createDebugHandler({ directory, machines: [demo], keepAliveMs: 1000 });
    server = createServer((req, res) => {
      if (!handler(req, res)) {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    actor.stop();
  });

  it('shows the actor in its state, highlighted in the chart, and updates live', async () => {
    actor.send({ type: 'CONNECTED' });
    const page = await browser.newPage();
    await page.goto(`${base}/debug/actors`);
    const card = page.locator('section.actor[data-actor-id="backend:everything"]');
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('ready');
    await expect
      .poll(() => card.locator('.chart g.active').evaluateAll((els) => els.map((e) => e.id)), { timeout: 10_000 })
      .toEqual(['s:demoSession.ready']);
    actor.send({ type: 'LOST', reason: 'HTTP 404 on POST: session expired' });
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('reinitializing');
    await expect
      .poll(() => card.locator('.chart g.active').evaluateAll((els) => els.map((e) => e.id)))
      .toEqual(['s:demoSession.reinitializing']);
    expect(await card.locator('.transitions').textContent()).toContain('HTTP 404 on POST: session expired');
  });
});
