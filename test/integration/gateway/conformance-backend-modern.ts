// A 2026-07-28-only backend (the v2 SDK's createMcpHandler, legacy requests rejected) implementing what the
// `input-required-result-*` conformance scenarios call, written from their descriptions: tools and a prompt that answer
// with `input_required` results (multi round-trip requests) and finish when the retry carries the answers. It sits
// behind the gateway next to the 2025-era conformance backend, so the scenarios check that the gateway passes a 2026
// backend's input_required results, inputResponses and requestState through intact.
//
// Every requestState is sealed with the SDK's HMAC codec, so a tampered one is refused (-32602) before a handler runs.
// Each tool re-asks whatever its retry did not answer, so wrong or missing inputResponses get a new input_required.
import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  createRequestStateCodec,
  type InputRequest,
  inputRequired,
  inputResponse,
  McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { ConformanceBackend } from './conformance-backend.ts';

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

const ask = (message: string, field: string) =>
  inputRequired.elicit({
    message,
    requestedSchema: { type: 'object', properties: { [field]: { type: 'string' } }, required: [field] },
  });
const sample = (prompt: string, maxTokens: number) =>
  inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens });
const roots = () => inputRequired.listRoots();

/** The declared fields of an accepted elicitation answer, or undefined when `key` was not answered that way. */
function accepted(ctx: ServerContext, key: string): Record<string, unknown> | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  return view.kind === 'elicit' && view.action === 'accept' ? (view.content ?? {}) : undefined;
}

/** The client's capabilities from this request's envelope. */
function clientCapabilities(ctx: ServerContext): Record<string, unknown> {
  const envelope = ctx.mcpReq.envelope as Record<string, Record<string, unknown> | undefined> | undefined;
  return envelope?.['io.modelcontextprotocol/clientCapabilities'] ?? {};
}

type State = { step: string };

function conformanceServer(codec: ReturnType<typeof createRequestStateCodec<State>>): McpServer {
  const server = new McpServer(
    { name: 'mcpre-conformance-backend-2026', version: '1.0.0' },
    { capabilities: { tools: {}, prompts: {} }, requestState: { verify: codec.verify } },
  );
  const state = (ctx: ServerContext) => ctx.mcpReq.requestState<State>();
  const mint = (step: string) => codec.mint({ step });

  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks the user name by elicitation, then greets' },
    async (ctx) => {
      const answer = accepted(ctx, 'user_name');
      if (typeof answer?.name !== 'string') {
        return inputRequired({ inputRequests: { user_name: ask('What is your name?', 'name') } });
      }
      return text(`Hello, ${answer.name}!`);
    },
  );
  server.registerTool(
    'test_input_required_result_sampling',
    { description: 'Asks the client model a question by sampling' },
    async (ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'capital_question');
      if (answer.kind !== 'sampling') {
        return inputRequired({ inputRequests: { capital_question: sample('What is the capital of France?', 100) } });
      }
      const content = answer.result.content;
      return text(!Array.isArray(content) && content.type === 'text' ? content.text : '(not text)');
    },
  );
  server.registerTool(
    'test_input_required_result_list_roots',
    { description: 'Asks the client for its roots' },
    async (ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'client_roots');
      if (answer.kind !== 'roots') return inputRequired({ inputRequests: { client_roots: roots() } });
      return text(`roots: ${answer.roots.map((r) => r.uri).join(', ')}`);
    },
  );
  server.registerTool(
    'test_input_required_result_request_state',
    { description: 'Asks for confirmation and checks the echoed requestState' },
    async (ctx) => {
      const answer = accepted(ctx, 'confirm');
      if (answer === undefined || state(ctx)?.step !== 'confirm') {
        return inputRequired({
          inputRequests: { confirm: ask('Please confirm', 'ok') },
          requestState: await mint('confirm'),
        });
      }
      return text(`state-ok: confirmed ${JSON.stringify(answer)}`);
    },
  );
  server.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'Asks by elicitation, sampling and roots in one round' },
    async (ctx) => {
      const got = (key: string) => inputResponse(ctx.mcpReq.inputResponses, key).kind;
      const complete =
        state(ctx)?.step === 'multiple' &&
        got('user_name') === 'elicit' &&
        got('greeting') === 'sampling' &&
        got('client_roots') === 'roots';
      if (!complete) {
        return inputRequired({
          inputRequests: {
            user_name: ask('What is your name?', 'name'),
            greeting: sample('Generate a greeting', 50),
            client_roots: roots(),
          },
          requestState: await mint('multiple'),
        });
      }
      return text('all three inputs received');
    },
  );
  server.registerTool(
    'test_input_required_result_multi_round',
    { description: 'Asks twice, each round with new requestState' },
    async (ctx) => {
      const step = state(ctx)?.step;
      const name = accepted(ctx, 'step1')?.name;
      const color = accepted(ctx, 'step2')?.color;
      if (step === 'round-2' && typeof color === 'string') return text(`favorite color: ${color}`);
      if (step === 'round-1' && typeof name === 'string') {
        return inputRequired({
          inputRequests: { step2: ask('Step 2: What is your favorite color?', 'color') },
          requestState: await mint('round-2'),
        });
      }
      return inputRequired({
        inputRequests: { step1: ask('Step 1: What is your name?', 'name') },
        requestState: await mint('round-1'),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'Asks with integrity-protected requestState' },
    async (ctx) => {
      if (state(ctx)?.step !== 'sealed' || accepted(ctx, 'confirm') === undefined) {
        return inputRequired({
          inputRequests: { confirm: ask('Please confirm', 'ok') },
          requestState: await mint('sealed'),
        });
      }
      return text('state verified');
    },
  );
  server.registerTool(
    'test_input_required_result_capabilities',
    { description: 'Asks only for what the client declared' },
    async (ctx) => {
      const caps = clientCapabilities(ctx);
      const wanted: Record<string, InputRequest> = {};
      if (caps.elicitation) wanted.user_name = ask('What is your name?', 'name');
      if (caps.sampling) wanted.greeting = sample('Generate a greeting', 50);
      if (caps.roots) wanted.client_roots = roots();
      const pending = Object.keys(wanted).filter(
        (key) => inputResponse(ctx.mcpReq.inputResponses, key).kind === 'missing',
      );
      if (pending.length === 0) return text(`answered: ${Object.keys(wanted).join(', ') || 'nothing to ask'}`);
      return inputRequired({ inputRequests: Object.fromEntries(pending.map((key) => [key, wanted[key]!])) });
    },
  );
  server.registerPrompt(
    'test_input_required_result_prompt',
    { description: 'A prompt that asks for its context by elicitation' },
    async (ctx) => {
      const context = accepted(ctx, 'user_context')?.context;
      if (typeof context !== 'string') {
        return inputRequired({
          inputRequests: { user_context: ask('What context should the prompt use?', 'context') },
        });
      }
      return { messages: [{ role: 'user' as const, content: { type: 'text' as const, text: `Context: ${context}` } }] };
    },
  );
  return server;
}

export async function startModernConformanceBackend(): Promise<ConformanceBackend> {
  const codec = createRequestStateCodec<State>({ key: randomBytes(32) });
  const handler = createMcpHandler(() => conformanceServer(codec), { legacy: 'reject', keepAliveMs: 0 });
  const serve = toNodeHandler(handler);
  const http: HttpServer = createServer((req, res) => void serve(req, res));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`),
    close: async () => {
      await handler.close();
      const closed = new Promise((r) => http.close(r));
      http.closeAllConnections();
      await closed;
    },
  };
}
