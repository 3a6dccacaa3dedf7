// The backend HTTP client takes undici's Agent and connector from their files (src/actors/mcp/http/undici-agent.ts):
// an undici upgrade that moves them, or stops putting the request methods on dispatchers the same way, must fail here,
// not at a gateway's first backend connection.
import { execFileSync } from 'node:child_process';
import * as undici from 'undici';
import { describe, expect, it } from 'vitest';
import { Agent, buildConnector, Client, Pool } from '../../../src/actors/mcp/http/undici-agent.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';

describe('undici agent', () => {
  it('is the Agent, Pool, Client and buildConnector the package exports', () => {
    expect(Agent).toBe(undici.Agent);
    expect(Pool).toBe(undici.Pool);
    expect(Client).toBe(undici.Client);
    expect(buildConnector).toBe(undici.buildConnector);
  });

  it("has a dispatcher's request methods without the package's index loaded", () => {
    // A process of its own: here the index is loaded (above), and it would put the methods there itself.
    const script = `
      import { createRequire } from 'node:module';
      const { Agent } = await import('./src/actors/mcp/http/undici-agent.ts');
      const agent = new Agent();
      const methods = ['request', 'stream', 'pipeline', 'connect', 'upgrade'].filter((m) => typeof agent[m] === 'function');
      const index = createRequire(import.meta.url).resolve('undici');
      const loaded = Object.keys(createRequire(import.meta.url).cache).includes(index);
      await agent.close();
      console.log(JSON.stringify({ methods, indexLoaded: loaded }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      methods: ['request', 'stream', 'pipeline', 'connect', 'upgrade'],
      indexLoaded: false,
    });
  });
});
