// gatewayConfigYaml writes the gateway config exactly as the yaml package writes it whole, whatever the strings
// (YAML's special words, indicators, non-ASCII), however often it is called, and when objects are shared.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import type { GatewayConfigInput } from '../../../src/api/gateway/config.ts';
import { gatewayConfigYaml } from '../../../src/api/vmcp/config-yaml.ts';

// Counts what is written, to show that only a changed backend is written again.
vi.mock('yaml', async (original) => {
  const yaml = await original<typeof import('yaml')>();
  return { ...yaml, stringify: vi.fn(yaml.stringify) };
});
const written = () => (stringify as unknown as ReturnType<typeof vi.fn>).mock.calls.map((c) => c[0]);

const whole = (input: GatewayConfigInput) => stringify(input, { lineWidth: 0 });

const word = fc.oneof(
  {
    arbitrary: fc.constantFrom('yes', 'no', '~', 'null', 'true', '.inf', '0x1f', '1e3', '010', '', ' a', 'a '),
    weight: 10,
  },
  {
    arbitrary: fc.constantFrom('&a', '*a', '!x', '%x', '@x', '"', "'", '{a}', '[a]', 'a: b', '? x', '|', '>'),
    weight: 10,
  },
  { arbitrary: fc.constantFrom('---', 'backends: []', '- a', '#x', 'a #b'), weight: 5 },
  {
    arbitrary: fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 12,
    }),
    weight: 40,
  },
  // Written whole: line breaks, byte-order marks, non-ASCII.
  { arbitrary: fc.constantFrom('caf\u00e9', 'line\nbreak', '\ufeffbom', 'tab\t'), weight: 1 },
);
const dict = fc.dictionary(word, word, { maxKeys: 3, noNullPrototype: true });
const backend = fc.record(
  {
    name: word,
    type: fc.constantFrom('direct', 'proxy'),
    url: word,
    transport: fc.constantFrom('streamable-http', 'sse'),
    headers: dict,
    headerFiles: dict,
    caBundlePath: word,
    auth: fc.oneof(
      fc.record({ type: fc.constant('headerInjection'), headerName: word, valueFile: word }),
      fc.record({ type: fc.constant('tokenExchange'), tokenUrl: word, audience: word, scopes: fc.array(word) }),
    ),
  },
  { requiredKeys: ['name', 'type', 'url', 'transport'], noNullPrototype: true },
);
const input = fc.record(
  {
    name: word,
    backends: fc.array(backend, { maxLength: 6 }),
    aggregation: fc.record({
      conflictResolution: fc.constantFrom('prefix', 'priority'),
      conflictResolutionConfig: fc.record({ prefixFormat: word, priorityOrder: fc.array(word, { maxLength: 3 }) }),
      tools: fc.array(fc.record({ backend: word, filter: fc.array(word, { maxLength: 2 }) }), { maxLength: 3 }),
    }),
    incomingAuth: fc.record({ type: fc.constant('anonymous') }),
    lease: fc.record({ name: word, namespace: word }),
  },
  { requiredKeys: ['backends'], noNullPrototype: true },
) as fc.Arbitrary<GatewayConfigInput>;

describe('gatewayConfigYaml', () => {
  it('writes what stringify writes for the whole config', () => {
    fc.assert(
      fc.property(input, (config) => {
        expect(gatewayConfigYaml(config)).toBe(whole(config));
        // Again, with every backend's lines now remembered.
        expect(gatewayConfigYaml(config)).toBe(whole(config));
      }),
      { numRuns: 1500 },
    );
  });

  it('writes a backend that appears twice as stringify does (an anchor and an alias)', () => {
    const b = {
      name: 'a',
      type: 'direct' as const,
      url: 'https://a.example.com/mcp',
      transport: 'streamable-http' as const,
    };
    const config: GatewayConfigInput = { name: 'x', backends: [b, b] };
    expect(gatewayConfigYaml(config)).toBe(whole(config));
    expect(whole(config)).toContain('*a');
  });

  it('keeps the key order of the config, with backends first or last', () => {
    const b = {
      name: 'a',
      type: 'proxy' as const,
      url: 'http://a.ns.svc:8080/mcp',
      transport: 'streamable-http' as const,
    };
    const first = { backends: [b], name: 'x' } as GatewayConfigInput;
    const last = {
      name: 'x',
      incomingAuth: { type: 'anonymous' },
      backends: [b, { ...b, name: 'b' }],
    } as GatewayConfigInput;
    expect(gatewayConfigYaml(first)).toBe(whole(first));
    expect(gatewayConfigYaml(last)).toBe(whole(last));
  });

  it('writes again only the backends that changed', () => {
    const b = (name: string, url = `https://${name}.example.com/mcp`) => ({
      name,
      type: 'direct' as const,
      url,
      transport: 'streamable-http' as const,
    });
    const names = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const before: GatewayConfigInput = { name: 'counted', backends: names.map((n) => b(n)) };
    const after: GatewayConfigInput = {
      name: 'counted',
      backends: names.map((n) => b(n, n === 'm3' ? 'https://new.example.com/mcp' : undefined)),
    };
    gatewayConfigYaml(before);
    (stringify as unknown as ReturnType<typeof vi.fn>).mockClear();
    expect(gatewayConfigYaml(after)).toBe(stringify(after, { lineWidth: 0 }));
    const lists = written().filter((v): v is unknown[] => Array.isArray(v));
    expect(lists).toEqual([[after.backends![2]]]);
  });
});
