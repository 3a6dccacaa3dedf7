// The one rule for the http(s) URLs this project calls: a remote MCP server, a proxy's status.url, a token endpoint,
// an OIDC issuer or JWKS. The same rule runs in three places that must agree exactly: the CRDs (a CEL rule, evaluated
// by the API server with Go's URL parser and RE2), the operator's validation, and every runtime that parses such a URL
// (gateway config, dynamic discovery, the backend session, `mcpre probe`). So the rule is a regular expression in the
// subset where RE2 and JavaScript agree, over a grammar narrow enough that WHATWG's parser (Node) and Go's parser
// accept every string it matches; the one check a regex cannot do well, that a bracketed IPv6 address is valid, is
// done by each side's IP parser (`isIP()` in CEL; WHATWG's, minus IPv4-mapped addresses as Kubernetes refuses them).
//
// Accepted: `http://` or `https://` (lowercase), then a host name whose labels are letters, digits and inner hyphens
// and whose last label starts with a letter (so no parser can read it as an IPv4 number), or a dotted-quad IPv4
// address, or a bracketed IPv6 address; an optional port 1-65535 without leading zeros; an optional path and query
// of RFC 3986 characters and %XX escapes. Refused: anything else, notably user:password@, whitespace and control
// characters, a #fragment, backslashes, and URLs longer than 2048 characters.

import { memoByText } from './text-memo.ts';

export const MAX_URL_LENGTH = 2048;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const LAST_LABEL = '[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const HOST_NAME = `(?:${LABEL}\\.)*${LAST_LABEL}`;
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = `(?:${OCTET}\\.){3}${OCTET}`;
const IPV6_LITERAL = '\\[[0-9A-Fa-f:]+\\]';
const PORT =
  '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9][0-9]|6[0-4][0-9][0-9][0-9]|[1-5][0-9][0-9][0-9][0-9]|[1-9][0-9]{0,3})';
const PATH_OR_QUERY = "[/?](?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f][0-9A-Fa-f])*";

/** The whole rule but the IPv6 check, as RE2 and JavaScript both read it (no lookaround, no `\s`, no flags). */
export const HTTP_URL_PATTERN = `^https?://(?:${HOST_NAME}|${IPV4}|${IPV6_LITERAL})(?::${PORT})?(?:${PATH_OR_QUERY})?$`;

const pattern = new RegExp(HTTP_URL_PATTERN);

/**
 * The CEL form of the rule, for `x-kubernetes-validations` on a string field (`self`). `optional` accepts the empty
 * string too, for fields where empty means "not set". A unit test checks that every URL field of crds/*.yaml carries
 * exactly this text. The IPv6 address is cut out of `self` with substring() rather than read with
 * url(self).getHostname(): the API server cannot bound the size of getHostname()'s result, so its cost estimate for
 * isIP() on it exceeds every budget, while a substring of a field with maxLength is bounded.
 */
export function httpUrlCelRule(opts: { optional?: boolean } = {}): string {
  const rule = `isURL(self) && self.matches(r"${HTTP_URL_PATTERN}") && (!self.matches(r"^https?://\\[") || isIP(self.substring(self.indexOf("[") + 1, self.indexOf("]"))))`;
  return opts.optional ? `self == "" || (${rule})` : rule;
}

/** What the CRD's message says, and what a person reads when the runtime refuses a URL without a more precise reason. */
export const HTTP_URL_RULE_TEXT =
  'must be an absolute http:// or https:// URL: a host name (letters, digits and hyphens, the last label starting with a letter), an IPv4 address or a bracketed IPv6 address, an optional port from 1 to 65535, and an optional path and query (other characters %-encoded); no user:password@, whitespace or #fragment; for example https://mcp.example.com/mcp';

export type HttpUrlCheck = { ok: true; url: URL } | { ok: false; problem: string };

/** The URL for messages: anything up to an `@` (user:password@) replaced by `***`, cut at 200 characters. */
export function shownUrl(raw: string): string {
  const hidden = raw.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/).*@/, '$1***@');
  return JSON.stringify(hidden.length > 200 ? `${hidden.slice(0, 200)}...` : hidden);
}

/**
 * The rule, with the reason a URL fails it. `problem` completes a sentence that starts with the URL's name, e.g.
 * `spec.remoteURL ${problem}`, and never contains credentials the URL carried.
 */
export function checkHttpUrl(raw: string): HttpUrlCheck {
  const problem = diagnose(raw);
  if (problem) return { ok: false, problem };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not expected for a string the pattern matched; kept so the rule can never hand out an unparseable URL.
    return { ok: false, problem: `${shownUrl(raw)} ${HTTP_URL_RULE_TEXT}` };
  }
  // Kubernetes' isIP() refuses IPv4-mapped IPv6 addresses; WHATWG prints every one of them as [::ffff:x:y].
  if (/^\[::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}\]$/.test(url.hostname)) {
    return {
      ok: false,
      problem: `${shownUrl(raw)} has an IPv4-mapped IPv6 address as its host; write the IPv4 address instead`,
    };
  }
  return { ok: true, url };
}

/** The reason the URL is refused, or undefined when it passes the pattern and its IPv6 host (if any) parses. */
export function httpUrlProblem(raw: string): string | undefined {
  return urlProblems(raw, () => {
    const result = checkHttpUrl(raw);
    return result.ok ? undefined : result.problem;
  });
}

/**
 * Every plan of a VirtualMCPServer checks the URL of each member again. Large enough that a plan's pass over a big
 * group does not push out the URLs it needs next time.
 */
const urlProblems = memoByText<string | undefined>(4096);

function diagnose(raw: string): string | undefined {
  if (raw.length > MAX_URL_LENGTH) return `is longer than ${MAX_URL_LENGTH} characters`;
  const shown = shownUrl(raw);
  if (pattern.test(raw)) {
    const literal = /^https?:\/\/(\[[^\]]*\])/.exec(raw)?.[1];
    return literal && !isIpv6Literal(literal) ? badHost(shown, literal) : undefined;
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw);
  if (!scheme || (scheme[1] !== 'http' && scheme[1] !== 'https'))
    return `${shown} does not start with http:// or https:// (lowercase)`;
  if ([...raw].some((c) => c <= ' ' || c === '\u007f')) return `${shown} contains whitespace or a control character`;
  const rest = raw.slice(scheme[0].length);
  const authority = /^[^/?#]*/.exec(rest)?.[0] ?? '';
  if (authority.includes('@'))
    return `${shown} carries credentials (user:password@), which would be stored and logged in plaintext; remove them and send credentials in a header instead`;
  if (raw.includes('#')) return `${shown} has a #fragment, which is never sent to a server; remove it`;
  // The port is what follows the last colon after the host (after the `]` of an IPv6 literal).
  const bracket = authority.startsWith('[') ? authority.indexOf(']') : -1;
  const close = authority.startsWith('[') ? (bracket < 0 ? authority.length : bracket + 1) : 0;
  const colon = authority.indexOf(':', close);
  const host = colon < 0 ? authority : authority.slice(0, colon);
  const port = colon < 0 ? undefined : authority.slice(colon + 1);
  if (host === '') return `${shown} has no host`;
  if (!(host.startsWith('[') ? isIpv6Literal(host) : hostPattern.test(host))) return badHost(shown, host);
  if (port !== undefined && !portPattern.test(port))
    return `${shown} has ${JSON.stringify(port)} as its port; a port is a number from 1 to 65535 without leading zeros`;
  if (rest.includes('\\')) return `${shown} contains a backslash; write / or %5C`;
  return `${shown} has characters in its path or query that must be %-encoded, or a % not followed by two hex digits`;
}

function badHost(shown: string, host: string): string {
  return `${shown} has ${JSON.stringify(host)} as its host, which is not a host name (letters, digits and hyphens, the last label starting with a letter), an IPv4 address or a bracketed IPv6 address`;
}

const hostPattern = new RegExp(`^(?:${HOST_NAME}|${IPV4})$`);
const portPattern = new RegExp(`^${PORT}$`);

/** A bracketed IPv6 address in hex-and-colon form that WHATWG's parser accepts (it refuses bad groups and zones). */
function isIpv6Literal(bracketed: string): boolean {
  if (!/^\[[0-9A-Fa-f:]+\]$/.test(bracketed)) return false;
  try {
    new URL(`http://${bracketed}/`);
    return true;
  } catch {
    return false;
  }
}
