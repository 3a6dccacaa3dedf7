// Minimal valid objects for the CRD tests; each test changes only the field it is about.
import { GROUP_VERSION } from '../../../src/api/resources.ts';

export function directEndpoint(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'MCPRemoteEndpoint',
    metadata: { name },
    spec: {
      type: 'direct',
      remoteURL: 'https://mcp.example.com/mcp',
      transport: 'streamable-http',
      groupRef: 'team',
      ...spec,
    },
  };
}

export function proxyEndpoint(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'MCPRemoteEndpoint',
    metadata: { name },
    spec: {
      type: 'proxy',
      remoteURL: 'https://mcp.example.com/mcp',
      transport: 'streamable-http',
      groupRef: 'team',
      proxyConfig: { oidcConfig: { type: 'kubernetes' } },
      ...spec,
    },
  };
}

/** An endpoint spec without `type`, to exercise the default. */
export function untypedEndpoint(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'MCPRemoteEndpoint',
    metadata: { name },
    spec: { remoteURL: 'https://mcp.example.com/mcp', transport: 'streamable-http', groupRef: 'team', ...spec },
  };
}

export function authConfig(name: string, spec: Record<string, unknown>) {
  return { apiVersion: GROUP_VERSION, kind: 'MCPExternalAuthConfig', metadata: { name }, spec };
}

export const secretRef = (name: string, key: string) => ({ name, key });

/** One valid settings block per MCPExternalAuthConfig type (unauthenticated has none). */
export const authBlocks = {
  tokenExchange: { tokenUrl: 'https://sts.example.com/token', audience: 'https://mcp.example.com' },
  headerInjection: { headerName: 'X-API-Key', valueSecretRef: secretRef('api', 'key') },
  embeddedAuthServer: {
    issuer: 'https://auth.example.com',
    upstreamProviders: [
      { name: 'corp', type: 'oidc', oidcConfig: { issuerUrl: 'https://idp.example.com', clientId: 'c' } },
    ],
  },
  awsSts: { region: 'eu-west-1', fallbackRoleArn: 'arn:aws:iam::123456789012:role/mcp' },
} as const;
