// Reading a file named in configuration, for the places that report problems rather than throw: the message names
// the file and the error code, never anything of its content (it may be a key or a token).

/** The file's text, or `WHAT PATH cannot be read: CODE`. */
export function readText(readFile: (path: string) => string, path: string, what: string): string | { problem: string } {
  try {
    return readFile(path);
  } catch (err) {
    return { problem: `${what} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
}
