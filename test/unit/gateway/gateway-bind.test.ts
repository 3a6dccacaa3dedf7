// A gateway whose port is taken fails with an error naming the port, and opens no backend session first (a session
// it opened and never closed kept the process alive, serving nothing). Real sockets on 127.0.0.1.
import { type AddressInfo, createServer, type Server } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { startGateway } from '../../../src/gateway/gateway.ts';
import { explainListenError, ListenError, listenOn } from '../../../src/runtime/listen.ts';
import { FakeBackend } from './fake-backend.ts';

let busy: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (busy ? busy.close(() => resolve()) : resolve()));
  busy = undefined;
});

async function occupyPort(): Promise<number> {
  busy = createServer();
  await new Promise<void>((resolve) => busy?.listen(0, '127.0.0.1', resolve));
  return (busy.address() as AddressInfo).port;
}

describe('binding the gateway', () => {
  it('rejects with a ListenError naming the port and has opened no backend', async () => {
    const port = await occupyPort();
    const created: string[] = [];
    const config = validateGatewayConfig({
      name: 'bind-test',
      backends: [{ name: 'one', url: 'http://127.0.0.1:9/mcp', type: 'direct' }],
    });
    const failure = await startGateway({
      config,
      port,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      createBackend: (setup) => {
        created.push(setup.info.name);
        return new FakeBackend(setup.info.name);
      },
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ListenError);
    expect((failure as ListenError).code).toBe('EADDRINUSE');
    expect((failure as Error).message).toBe(`port ${port} on 127.0.0.1 is in use`);
    expect(created).toEqual([]);
  });

  it('opens the configured backends once it listens', async () => {
    const created: string[] = [];
    const config = validateGatewayConfig({
      name: 'bind-test',
      backends: [{ name: 'one', url: 'http://127.0.0.1:9/mcp', type: 'direct' }],
    });
    const gateway = await startGateway({
      config,
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      createBackend: (setup) => {
        created.push(setup.info.name);
        return new FakeBackend(setup.info.name);
      },
    });
    try {
      expect(created).toEqual(['one']);
      expect(gateway.backends().map((b) => b.name)).toEqual(['one']);
    } finally {
      await gateway.close();
    }
  });
});

describe('explainListenError', () => {
  const listenError = async (port: number, host: string) => {
    const server = createServer();
    return listenOn(server, port, host).then(
      () => {
        server.close();
        throw new Error(`expected ${host}:${port} to fail`);
      },
      (err: unknown) => err,
    );
  };

  it('turns a busy port into one line: the port, the likely owner and what to do', async () => {
    const port = await occupyPort();
    const err = explainListenError(await listenError(port, '127.0.0.1'), {
      portOption: '--port N',
      likelyOwner: 'another mcpre up?',
    }) as Error;
    expect(err.message).toBe(
      `port ${port} on 127.0.0.1 is in use (another mcpre up?); stop it or pass --port N (0 picks a free port)`,
    );
    expect(err.message).not.toContain('\n');
  });

  it('names an address that is not this machine and the option that sets it', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const err = explainListenError(await listenError(0, '192.0.2.1'), {
      portOption: '--port N',
      addressOption: '--address',
    }) as Error;
    expect(err.message).toBe('address 192.0.2.1 (port 0) is not an address of this machine; pass another --address');
  });

  it('passes any other error through unchanged', () => {
    const other = new Error('config is bad');
    expect(explainListenError(other, { portOption: '--port N' })).toBe(other);
  });
});
