import { describe, expect, it } from 'vitest';
import { proxyMcpUrl } from '../../../src/api/endpoint/proxy-url.ts';

describe('proxyMcpUrl', () => {
  it('adds the MCP path to a proxy Service base URL, as the proxy pod serves /mcp', () => {
    expect(proxyMcpUrl('http://mcpre-wiki.team-a.svc.cluster.local:8080')).toBe(
      'http://mcpre-wiki.team-a.svc.cluster.local:8080/mcp',
    );
    expect(proxyMcpUrl('http://a.b.svc.cluster.local:8080/')).toBe('http://a.b.svc.cluster.local:8080/mcp');
  });
  it('keeps a URL that already names a path', () => {
    expect(proxyMcpUrl('http://a.b.svc.cluster.local:8080/mcp')).toBe('http://a.b.svc.cluster.local:8080/mcp');
  });
});
