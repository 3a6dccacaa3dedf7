// One low-level SDK `Server` per downstream session (a Server can be connected to one transport only). The handlers
// answer list requests from the aggregated view and hand everything else to the router; the backends' JSON Schemas
// pass through untouched because nothing here goes through McpServer's zod-based registration.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { passThroughValidator } from '../actors/mcp/connection.ts';
import type { ListChangeKind } from './aggregator.ts';
import type { SessionLogState } from './router.ts';
import type { ServerDefinition } from './server-definition.ts';
import type { ResourceSubscriptions } from './subscriptions.ts';

export interface SessionServerDeps {
  definition: ServerDefinition;
  subscriptions: ResourceSubscriptions;
}

// The SDK marks `Server` deprecated in favour of McpServer "except for advanced use cases": an aggregator that must
// forward arbitrary JSON Schema is one.
export function createSessionServer(deps: SessionServerDeps): Server {
  const { definition } = deps;
  const server = new Server(
    { ...definition.info },
    {
      capabilities: definition.capabilities,
      instructions: definition.instructions,
      // The Server validates only what its own elicitInput receives, which the gateway never calls (it relays
      // elicitation as it came); the default would build an Ajv instance per client session.
      jsonSchemaValidator: passThroughValidator,
    },
  );
  const { router } = definition;
  const log: SessionLogState = { level: undefined, clientCapabilities: () => server.getClientCapabilities() };

  // Lists show only what the caller may use (everything, without an authorization policy).
  server.setRequestHandler(ListToolsRequestSchema, (_, extra) => definition.list('tools/list', extra) as never);
  server.setRequestHandler(ListPromptsRequestSchema, (_, extra) => definition.list('prompts/list', extra) as never);
  server.setRequestHandler(ListResourcesRequestSchema, (_, extra) => definition.list('resources/list', extra) as never);
  server.setRequestHandler(
    ListResourceTemplatesRequestSchema,
    (_, extra) => definition.list('resources/templates/list', extra) as never,
  );
  // Registered as Protocol does it, past Server's tools/call wrapper: that one validates the request a second time and
  // the result again, answering with a rebuilt copy of it. Protocol validates the request once; the router checks the
  // backend's result (forward-errors.ts `unrelayable`) and relays it as it came.
  const setProtocolHandler = Protocol.prototype.setRequestHandler as unknown as Server['setRequestHandler'];
  setProtocolHandler.call(
    server,
    CallToolRequestSchema,
    (req, extra) => router.callTool(req.params, extra, log) as never,
  );
  server.setRequestHandler(GetPromptRequestSchema, (req, extra) => router.getPrompt(req.params, extra, log) as never);
  server.setRequestHandler(
    ReadResourceRequestSchema,
    (req, extra) => router.readResource(req.params, extra, log) as never,
  );
  server.setRequestHandler(CompleteRequestSchema, (req, extra) => router.complete(req.params, extra, log) as never);
  server.setRequestHandler(SubscribeRequestSchema, async (req, extra) => {
    await deps.subscriptions.subscribe(extra.sessionId ?? '', req.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (req, extra) => {
    await deps.subscriptions.unsubscribe(extra.sessionId ?? '', req.params.uri);
    return {};
  });
  server.setRequestHandler(SetLevelRequestSchema, (req) => {
    log.level = req.params.level;
    return {};
  });
  return server;
}

/** Tell one session's client which aggregated lists changed. Failures (a client gone mid-send) are not errors. */
export async function announceListChanges(server: Server, kinds: ReadonlySet<ListChangeKind>): Promise<void> {
  const sends: Promise<void>[] = [];
  if (kinds.has('tools')) sends.push(server.sendToolListChanged());
  if (kinds.has('resources')) sends.push(server.sendResourceListChanged());
  if (kinds.has('prompts')) sends.push(server.sendPromptListChanged());
  await Promise.allSettled(sends);
}
