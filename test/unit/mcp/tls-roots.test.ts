// The roots every outgoing TLS connection trusts (src/actors/tls-roots.ts): the OS store and Node's bundled roots,
// with extra CA certificates added to them, never in their place; one context per trust set.
import { getCACertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { trustedCaCertificates, trustedSecureContext } from '../../../src/actors/tls-roots.ts';
import { pemCertificateBlocks } from '../../../src/api/endpoint/ca-bundle.ts';
import { CA_PEM } from '../vmcp/fixtures.ts';

describe('trusted TLS roots', () => {
  it("holds Node's bundled roots, the OS store's, and the extra certificates after them", () => {
    const extra = pemCertificateBlocks(CA_PEM);
    const trusted = trustedCaCertificates(extra);
    const bundled = getCACertificates('default');
    expect(bundled.length).toBeGreaterThan(10);
    expect(trusted).toEqual(expect.arrayContaining([...bundled, ...getCACertificates('system')]));
    expect(trusted.slice(-extra.length)).toEqual(extra);
    expect(new Set(trusted).size).toBe(trusted.length);
    expect(trustedCaCertificates()).toEqual(trusted.slice(0, -extra.length));
  });

  it('shares one context per trust set', () => {
    const extra = pemCertificateBlocks(CA_PEM);
    expect(trustedSecureContext(extra)).toBe(trustedSecureContext([...extra]));
    expect(trustedSecureContext(extra)).not.toBe(trustedSecureContext());
  });
});
