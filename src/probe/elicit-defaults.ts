// `mcpre probe --elicit-defaults`: the probe declares form elicitation and accepts every elicitation/create with the
// defaults the requested schema gives (SEP-1034), so a tool that asks the user something can be tried end to end
// without a user. Fields without a default are left out, which the schema allows only when they are not required;
// the server decides what to make of that. Any other server request is refused as a client without the capability
// would refuse it.
import { ErrorCode, McpError } from '../api/mcp-errors.ts';

export const ELICIT_DEFAULTS_CAPABILITIES = { elicitation: { form: {} } };

type ServerRequest = { method: string; params?: Record<string, unknown> };

/** The content an accepting user who changes nothing would send: each property's `default`. */
export function defaultsOf(requestedSchema: unknown): Record<string, unknown> {
  const properties = (requestedSchema as { properties?: unknown } | undefined)?.properties;
  if (!properties || typeof properties !== 'object' || Array.isArray(properties)) return {};
  const content: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(properties as Record<string, unknown>)) {
    const value = (schema as { default?: unknown } | null)?.default;
    if (value !== undefined) content[name] = value;
  }
  return content;
}

export async function answerWithDefaults(request: ServerRequest): Promise<Record<string, unknown>> {
  if (request.method !== 'elicitation/create' || request.params?.mode === 'url') {
    throw new McpError(ErrorCode.MethodNotFound, `mcpre probe does not answer ${request.method}`);
  }
  return { action: 'accept', content: defaultsOf(request.params?.requestedSchema) };
}
