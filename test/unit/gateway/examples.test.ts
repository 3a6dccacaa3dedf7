// The gateway examples stay valid: each parses against the config schema.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../src/api/gateway/config-text.ts';

const dir = new URL('../../../examples/gateway/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('examples/gateway', () => {
  it('has examples', () => expect(files.length).toBeGreaterThanOrEqual(2));
  it.each(files)('%s is a valid gateway config', (file) => {
    const cfg = parseGatewayConfig(readFileSync(join(dir, file), 'utf8'), file);
    expect(cfg.name).toMatch(/^[a-z]/);
  });
});
