// Server-Sent Events over a response body (dispatch-response.ts's or undici's), with a hard cap on one event's size
// (eventsource-parser's maxBufferSize covers both an unterminated line and an event whose blank line never comes).
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { protocolError } from '../errors.ts';

export interface SseHandlers {
  onEvent(event: EventSourceMessage): void;
  onRetry?(ms: number): void;
}

/**
 * Read events until the body ends. Rejects with a protocol error when an event exceeds `maxEventBytes` (the body is
 * destroyed), and with the body's own error when the connection drops.
 */
export async function readSse(
  body: AsyncIterable<Uint8Array> & { destroy?(err?: Error): unknown },
  maxEventBytes: number,
  handlers: SseHandlers,
): Promise<void> {
  let failure: Error | undefined;
  const parser = createParser({
    maxBufferSize: maxEventBytes,
    onEvent: (event) => {
      if (failure) return;
      // maxBufferSize only bounds what waits across feed() calls; an event that arrived whole in one chunk is
      // measured here.
      if (event.data.length > maxEventBytes) {
        failure = protocolError(`SSE event larger than ${maxEventBytes} bytes; closing the stream`);
        return;
      }
      handlers.onEvent(event);
    },
    onRetry: (ms) => {
      if (!failure) handlers.onRetry?.(ms);
    },
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') {
        failure = protocolError(`SSE event larger than ${maxEventBytes} bytes; closing the stream`);
      }
      // invalid-retry and unknown-field are ignored, as the SSE standard says.
    },
  });
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (failure) {
      body.destroy?.(failure);
      throw failure;
    }
  }
  parser.feed(decoder.decode());
}
