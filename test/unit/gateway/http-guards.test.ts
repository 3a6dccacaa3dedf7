import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkHostAndOrigin, type OriginPolicy } from '../../../src/gateway/http-guards.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const loopback: OriginPolicy = { loopbackOnly: true, allowedOrigins: [], allowedHosts: [] };
const cluster: OriginPolicy = { loopbackOnly: false, allowedOrigins: [], allowedHosts: [] };

describe('Host and Origin checks', () => {
  it('on loopback, accepts loopback Host names and loopback origins only', () => {
    expect(checkHostAndOrigin(req({ host: '127.0.0.1:4483' }), loopback).ok).toBe(true);
    expect(checkHostAndOrigin(req({ host: 'localhost:4483', origin: 'http://localhost:6274' }), loopback).ok).toBe(
      true,
    );
    expect(checkHostAndOrigin(req({ host: '[::1]:4483', origin: 'http://[::1]:3000' }), loopback).ok).toBe(true);
    expect(checkHostAndOrigin(req({ host: 'attacker.example:4483' }), loopback)).toMatchObject({
      ok: false,
      status: 403,
      reason: 'host',
    });
    expect(
      checkHostAndOrigin(req({ host: '127.0.0.1:4483', origin: 'https://attacker.example' }), loopback),
    ).toMatchObject({
      ok: false,
      reason: 'origin',
    });
    expect(checkHostAndOrigin(req({}), loopback)).toMatchObject({ ok: false, reason: 'host' });
  });

  it('in a cluster, accepts any Host unless hosts are listed, and only listed browser origins', () => {
    expect(checkHostAndOrigin(req({ host: 'vmcp-x.ns.svc.cluster.local:4483' }), cluster).ok).toBe(true);
    expect(checkHostAndOrigin(req({ host: 'x', origin: 'http://localhost:1' }), cluster).ok).toBe(false);
    const listed: OriginPolicy = {
      loopbackOnly: false,
      allowedOrigins: ['https://app.example'],
      allowedHosts: ['mcp.example'],
    };
    expect(checkHostAndOrigin(req({ host: 'mcp.example', origin: 'https://app.example' }), listed).ok).toBe(true);
    expect(checkHostAndOrigin(req({ host: 'MCP.example:443' }), listed).ok).toBe(true);
    expect(checkHostAndOrigin(req({ host: 'other.example' }), listed).ok).toBe(false);
    expect(checkHostAndOrigin(req({ host: 'mcp.example', origin: 'https://app.example.evil' }), listed).ok).toBe(false);
  });
});
