// Which client capabilities the gateway declares to its backends. A backend session is shared by every client and
// initialized before any of them arrives, so what it is told cannot be one client's declaration: it is this setting
// (default: sampling and elicitation, which the gateway relays to the calling client; roots off, because servers ask
// for roots right after initialize, when no client call exists to answer). A server request for a capability the
// answering client did not itself declare is refused (src/gateway/server-requests.ts); turning a capability off here
// means backends are never told it exists.
import { type Infer, z } from '../schema.ts';

export const clientCapabilitiesSchema = z
  .strictObject({
    sampling: z.boolean().default(true),
    elicitation: z.boolean().default(true),
    roots: z.boolean().default(false),
  })
  .default({ sampling: true, elicitation: true, roots: false });

export type ClientCapabilitiesConfig = Infer<typeof clientCapabilitiesSchema>;

/** The MCP `capabilities` of the gateway's initialize to a backend. */
export function declaredCapabilities(config: ClientCapabilitiesConfig): {
  sampling?: Record<string, never>;
  elicitation?: { form: Record<string, never>; url: Record<string, never> };
  roots?: Record<string, never>;
} {
  return {
    ...(config.sampling ? { sampling: {} } : {}),
    ...(config.elicitation ? { elicitation: { form: {}, url: {} } } : {}),
    ...(config.roots ? { roots: {} } : {}),
  };
}
