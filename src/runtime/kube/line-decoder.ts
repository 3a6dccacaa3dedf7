// Splits a byte stream into UTF-8 text lines. The network cuts a stream wherever it likes, also inside a multi-byte
// character, so bytes are decoded with a streaming TextDecoder (which keeps an incomplete character for the next
// chunk) rather than each chunk on its own (which turns both halves into U+FFFD).

export class LineDecoder {
  readonly #decoder = new TextDecoder('utf-8');
  /** The current line so far, in pieces (joined once, when its newline arrives). */
  #pending: string[] = [];

  /** The lines this chunk completes, without their newline; an unfinished last line waits for the next chunk. */
  push(chunk: Uint8Array): string[] {
    const text = this.#decoder.decode(chunk, { stream: true });
    const lines: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.#pending.push(text.slice(start, nl));
      lines.push(this.#pending.join(''));
      this.#pending = [];
      start = nl + 1;
    }
    if (start < text.length) this.#pending.push(text.slice(start));
    return lines;
  }

  /** What is left after the last newline (an unfinished line), with any incomplete character as U+FFFD. */
  rest(): string {
    return this.#pending.join('') + this.#decoder.decode();
  }
}
