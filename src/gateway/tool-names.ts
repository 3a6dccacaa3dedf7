// The MCP tool-name rule (spec 2025-11-25, server/tools "Tool Names": 1 to 128 characters, only A-Z a-z 0-9 _ - .),
// applied to what backends send before a client sees it, and a printable rendering of a name that broke it. The rule
// itself is the SDK's validateToolName; this file only explains a failure in words an operator can act on, without
// writing the offending characters (NUL, terminal escape codes, newlines) into logs or /readyz.
import { validateToolName } from '@modelcontextprotocol/sdk/shared/toolNameValidation.js';

export const MAX_TOOL_NAME_LENGTH = 128;

/** Why `name` is not a valid MCP tool name, or undefined when it is one. */
export function toolNameProblem(name: string): string | undefined {
  if (validateToolName(name).isValid) return undefined;
  if (name.length === 0) return 'the name is empty';
  if (name.length > MAX_TOOL_NAME_LENGTH) {
    return `the name is ${name.length} characters long (at most ${MAX_TOOL_NAME_LENGTH})`;
  }
  const offending = [...new Set(name.replace(/[A-Za-z0-9_.-]/g, ''))].slice(0, 5).map(describeChar);
  return `the name contains ${offending.join(', ')}: only A-Z a-z 0-9 _ - . are allowed`;
}

/** A name as a quoted, printable string: every character outside printable ASCII as \uXXXX, long names cut. */
export function printableName(name: string, max = 64): string {
  const shown = [...name.slice(0, max)].map((c) =>
    c === '"' || c === '\\' ? `\\${c}` : isPrintable(c) ? c : escaped(c),
  );
  const cut = name.length > max ? `... (${name.length} characters)` : '';
  return `"${shown.join('')}"${cut}`;
}

const isPrintable = (c: string) => c >= ' ' && c <= '~';

function describeChar(c: string): string {
  if (c === ' ') return 'a space';
  return isPrintable(c) ? `"${c}"` : escaped(c);
}

function escaped(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}
