// The pod template's checksum (src/api/vmcp/checksum.ts). Without a session store CA it must stay the value the
// operator computed before that input existed, or an upgrade would roll every gateway; the literals below are what
// that earlier formula gives for these inputs.
import { describe, expect, it } from 'vitest';
import type { CaMount } from '../../../src/api/vmcp/backends.ts';
import { configChecksum } from '../../../src/api/vmcp/checksum.ts';

const yaml = 'port: 8080\n';
const ca: CaMount = {
  endpoint: 'billing',
  volume: 'ca-billing',
  dir: '/ca/billing',
  path: '/ca/billing/ca.crt',
  configMap: 'billing-ca',
  key: 'ca.crt',
  content: 'PEM TEXT\n',
};

describe('pod config checksum', () => {
  it('is unchanged for a pod without a session store CA', () => {
    expect(configChecksum({ yaml, caMounts: [] })).toBe(
      'sha256:e86d69ef15ec1a79f89faef21a253b5fd92020277e5d905b44d8ff9945fbfb53',
    );
    expect(configChecksum({ yaml, caMounts: [ca] })).toBe(
      'sha256:cec0cf75acfebb9d12694c313ee718057530f3d70af7faa40d4d1d83b5b41f0c',
    );
  });

  it('changes with the session store CA and with its content', () => {
    const without = configChecksum({ yaml, caMounts: [ca] });
    const withCa = configChecksum({ yaml, caMounts: [ca], sessionStoreCa: 'CA ONE\n' });
    expect(withCa).not.toBe(without);
    expect(configChecksum({ yaml, caMounts: [ca], sessionStoreCa: 'CA TWO\n' })).not.toBe(withCa);
  });
});
