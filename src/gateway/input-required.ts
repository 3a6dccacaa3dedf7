// A 2026-07-28 backend asks for client input by answering a call with an `input_required` result (multi round-trip
// requests): a map of server-to-client requests (sampling/createMessage, elicitation/create, roots/list) and an
// opaque `requestState`, to be sent back with the answers on a retry of the same call. A 2026-07-28 client takes that
// result as it is and retries itself (the retry routes to the same backend by the same name). A 2025-era client
// knows no such result: for it the gateway asks each question as the 2025 server-to-client request on the client's
// session (the same relay, capability check, audit note and metric as a request the backend sent itself), and
// retries the call with `inputResponses` and the backend's `requestState`, for a bounded number of rounds.
import { ErrorCode } from '../api/mcp-errors.ts';
import { RequestError } from './forward-errors.ts';
import type { ServerRequest } from './server-requests.ts';

type Result = Record<string, unknown>;

/** A backend that keeps asking after this many answered rounds is failing the call, not gathering input. */
export const MAX_INPUT_ROUNDS = 8;

/** The request kinds a backend may embed (spec: basic/patterns/mrtr, "InputRequests"). */
const EMBEDDABLE = new Set(['sampling/createMessage', 'elicitation/create', 'roots/list']);

export const isInputRequired = (result: Result): boolean => result.resultType === 'input_required';

export interface InputRounds {
  backend: string;
  method: string;
  /** Ask the calling client one embedded request (as a 2025 server-to-client request). */
  ask(request: ServerRequest): Promise<Result>;
  /** Send the call again with these extra params. */
  retry(extra: { inputResponses: Result; requestState?: string }): Promise<Result>;
}

/** Answer `input_required` results until the backend gives a final one. */
export async function fulfilInputRequired(first: Result, rounds: InputRounds): Promise<Result> {
  let result = first;
  for (let round = 1; isInputRequired(result); round++) {
    if (round > MAX_INPUT_ROUNDS) {
      throw new RequestError(
        ErrorCode.InternalError,
        `backend "${rounds.backend}" still asked for input after ${MAX_INPUT_ROUNDS} answered rounds of ${rounds.method}`,
      );
    }
    const inputResponses: Result = {};
    for (const [key, request] of Object.entries(inputRequestsOf(result, rounds))) {
      inputResponses[key] = await rounds.ask(request);
    }
    const { requestState } = result;
    result = await rounds.retry({
      inputResponses,
      ...(typeof requestState === 'string' ? { requestState } : {}),
    });
  }
  return result;
}

function inputRequestsOf(result: Result, rounds: InputRounds): Record<string, ServerRequest> {
  const requests = result.inputRequests ?? {};
  if (typeof requests !== 'object' || requests === null || Array.isArray(requests)) {
    throw invalid(rounds, 'inputRequests is not an object');
  }
  if (Object.keys(requests).length === 0 && typeof result.requestState !== 'string') {
    throw invalid(rounds, 'it carries neither inputRequests nor requestState');
  }
  for (const [key, request] of Object.entries(requests as Record<string, unknown>)) {
    const method = (request as { method?: unknown } | null)?.method;
    if (typeof method !== 'string' || !EMBEDDABLE.has(method)) {
      throw invalid(rounds, `input request "${key}" is not sampling, elicitation or roots`);
    }
  }
  return requests as Record<string, ServerRequest>;
}

const invalid = (rounds: InputRounds, why: string) =>
  new RequestError(
    ErrorCode.InternalError,
    `backend "${rounds.backend}" answered ${rounds.method} with an invalid input_required result: ${why}`,
  );
