// The `_meta` envelope every 2026-07-28 request carries (no session: its revision, capabilities and client come with
// each request), for tests that post raw JSON-RPC bodies rather than drive an SDK client.
export const MODERN_REVISION = '2026-07-28';

export const modernEnvelope = (capabilities: object = {}, version = MODERN_REVISION) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientCapabilities': capabilities,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
});
