// Reading a Streamable HTTP answer's SSE events in tests.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Reads one response's SSE events as far as asked, keeping all it read. */
export function eventReader(res: Response) {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  return {
    events,
    /** Read until `stop` says so or the stream ends; returns every event read so far. */
    async until(stop: (events: EventSourceMessage[]) => boolean): Promise<EventSourceMessage[]> {
      for (let i = 0; i < 1000 && !stop(events); i++) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
      return events;
    },
    cancel: () => reader.cancel(),
  };
}

/** Read SSE events from a response until `stop` says so (or the stream ends); returns them and stops reading. */
export async function readEvents(
  res: Response,
  stop: (events: EventSourceMessage[]) => boolean,
): Promise<EventSourceMessage[]> {
  const reader = eventReader(res);
  const events = await reader.until(stop);
  await reader.cancel();
  return events;
}
