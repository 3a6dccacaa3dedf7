// A proxy endpoint's status.url is the base URL of its Service (`http://<svc>.<ns>.svc.cluster.local:<port>`, as the
// RFC defines it); the proxy pod is `mcpre gateway --proxy-mode`, which serves MCP at /mcp. Every consumer that calls a
// proxy (static gateway config, dynamic discovery) goes through this one function.
export const PROXY_MCP_PATH = '/mcp';

export function proxyMcpUrl(statusUrl: string): string {
  const url = new URL(statusUrl);
  if (url.pathname === '' || url.pathname === '/') url.pathname = PROXY_MCP_PATH;
  return url.toString();
}
