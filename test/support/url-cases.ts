// One table of URLs for the shared URL rule (src/api/http-url.ts): the unit test checks the runtime function against
// it, the integration test checks the real API server's CEL rule against the same rows. `ok` is what a person would
// expect; both implementations must give exactly that. `urlLikeStrings` adds seeded strings built from URL pieces,
// most refused and some accepted, for the same comparison beyond what a person thought of.
import fc from 'fast-check';

export interface UrlCase {
  url: string;
  ok: boolean;
  /** Why, for the test name. */
  what: string;
}

export const URL_CASES: readonly UrlCase[] = [
  // Hostile: each of these once made the backend session throw and a dynamic-mode gateway exit.
  { url: 'http://', ok: false, what: 'no host (http)' },
  { url: 'https://', ok: false, what: 'no host (https)' },
  { url: 'http://a b/', ok: false, what: 'space in the host' },
  { url: 'http://[::1', ok: false, what: 'unclosed IPv6 bracket' },
  { url: 'http://:80/', ok: false, what: 'port without host' },
  { url: 'http://a:99999/', ok: false, what: 'port above 65535' },
  { url: 'https://%/', ok: false, what: 'percent as host' },
  { url: 'http://user:pw@mcp.example.com/mcp', ok: false, what: 'user:password@' },
  { url: 'https://token@mcp.example.com/', ok: false, what: 'user@' },
  // Other refusals.
  { url: 'ftp://mcp.example.com/', ok: false, what: 'scheme ftp' },
  { url: 'HTTPS://mcp.example.com/', ok: false, what: 'uppercase scheme' },
  { url: 'mcp.example.com/mcp', ok: false, what: 'no scheme' },
  { url: 'http:/mcp.example.com/', ok: false, what: 'one slash' },
  { url: 'http://a:0/', ok: false, what: 'port 0' },
  { url: 'http://a:/', ok: false, what: 'empty port' },
  { url: 'http://a:080/', ok: false, what: 'port with a leading zero' },
  { url: 'http://a:8080:9/', ok: false, what: 'two ports' },
  { url: 'http://1.2.3/', ok: false, what: 'three-part IPv4 (WHATWG reads 1.2.0.3)' },
  { url: 'http://999.1.1.1/', ok: false, what: 'IPv4 octet above 255' },
  { url: 'http://01.2.3.4/', ok: false, what: 'IPv4 octet with a leading zero (octal to WHATWG)' },
  { url: 'http://a.0x1/', ok: false, what: 'hex number as last label' },
  { url: 'http://mcp.1team/', ok: false, what: 'last label starting with a digit' },
  { url: 'http://mcp.example.com./', ok: false, what: 'trailing dot' },
  { url: 'http://a_b.example.com/', ok: false, what: 'underscore in the host' },
  { url: 'http://-a.example.com/', ok: false, what: 'label starting with a hyphen' },
  { url: 'http://a!b/', ok: false, what: 'sub-delimiter in the host' },
  { url: 'http://[::ffff:1.2.3.4]/', ok: false, what: 'IPv4-mapped IPv6, dotted' },
  { url: 'http://[::ffff:102:304]/', ok: false, what: 'IPv4-mapped IPv6, hex' },
  { url: 'http://[1:2:3:4::5:6:7:8]/', ok: false, what: 'IPv6 with :: and eight groups' },
  { url: 'http://[1::2::3]/', ok: false, what: 'IPv6 with two ::' },
  { url: 'http://[12345::1]/', ok: false, what: 'IPv6 group of five digits' },
  { url: 'http://[fe80::1%25eth0]/', ok: false, what: 'IPv6 zone' },
  { url: 'http://[::1]x/', ok: false, what: 'garbage after the IPv6 bracket' },
  { url: 'http://[1.2.3.4]/', ok: false, what: 'IPv4 in brackets' },
  { url: 'http://a/#frag', ok: false, what: 'fragment' },
  { url: 'http://a#frag', ok: false, what: 'fragment after the host' },
  { url: 'http://a/p q', ok: false, what: 'space in the path' },
  { url: 'http://a/p\tq', ok: false, what: 'tab in the path' },
  { url: 'http://a/p\nq', ok: false, what: 'newline in the path' },
  { url: ' http://a/', ok: false, what: 'leading space' },
  { url: 'http://a/ ', ok: false, what: 'trailing space' },
  { url: 'http://a/%zz', ok: false, what: 'bad %-escape' },
  { url: 'http://a/%4', ok: false, what: 'short %-escape' },
  { url: 'http://a/p\\q', ok: false, what: 'backslash' },
  { url: 'http://a/<x>', ok: false, what: 'angle brackets in the path' },
  { url: 'http://a/{x}', ok: false, what: 'braces in the path' },
  { url: 'http://a/ü', ok: false, what: 'non-ASCII path' },
  { url: 'http://münchen.de/', ok: false, what: 'non-ASCII host (write it in punycode)' },
  {
    url: `https://mcp.example.com/${'p'.repeat(2048 - 'https://mcp.example.com/'.length + 1)}`,
    ok: false,
    what: '2049 characters',
  },
  { url: '', ok: false, what: 'empty' },
  // Accepted.
  { url: 'https://mcp.example.com/mcp', ok: true, what: 'ordinary https' },
  { url: 'http://127.0.0.1:8080/mcp', ok: true, what: 'IPv4 and port' },
  { url: 'http://0.0.0.0/', ok: true, what: 'IPv4 zeros' },
  { url: 'http://255.255.255.255:65535/', ok: true, what: 'largest IPv4 and port' },
  { url: 'http://[::1]:8080/mcp', ok: true, what: 'IPv6 loopback and port' },
  { url: 'https://[2001:db8::1]/mcp', ok: true, what: 'IPv6 documentation address' },
  { url: 'http://[::]/', ok: true, what: 'IPv6 unspecified' },
  { url: 'http://[1:2:3:4:5:6:7:8]/', ok: true, what: 'IPv6 eight groups' },
  { url: 'http://[FE80::A]/', ok: true, what: 'IPv6 uppercase hex' },
  { url: 'https://a.b:443', ok: true, what: 'no path' },
  { url: 'http://localhost:1', ok: true, what: 'port 1' },
  { url: 'http://svc.ns.svc.cluster.local:8080', ok: true, what: 'cluster service name' },
  { url: 'http://mcp-1.team-2.svc/', ok: true, what: 'digits and hyphens in labels' },
  { url: 'http://1team.example.com/', ok: true, what: 'first label starting with a digit' },
  { url: 'https://MCP.Example.COM/Path', ok: true, what: 'uppercase host' },
  { url: 'http://xn--mnchen-3ya.de/', ok: true, what: 'punycode host' },
  { url: 'https://mcp.example.com/mcp?x=1&y=%20z', ok: true, what: 'query with an escape' },
  { url: 'https://mcp.example.com?q', ok: true, what: 'query without a path' },
  { url: 'https://mcp.example.com/?', ok: true, what: 'empty query' },
  { url: "http://a/~u/x;y=1,2:@!$&'()*+-._", ok: true, what: 'every RFC 3986 path character' },
  { url: 'http://a/p?q=/x?y', ok: true, what: 'slashes and question marks in the query' },
  { url: 'http://a/%2F%C3%BC', ok: true, what: '%-escapes in the path' },
  {
    url: `https://mcp.example.com/${'p'.repeat(2048 - 'https://mcp.example.com/'.length)}`,
    ok: true,
    what: '2048 characters',
  },
];

const PIECES = [
  'a',
  'Z9',
  'x.y',
  '-',
  '.',
  ':',
  '::',
  '[',
  ']',
  '/',
  '?',
  '#',
  '%',
  '%41',
  '@',
  '0',
  '1',
  '255',
  '256',
  '65535',
  '65536',
  'ffff',
  ' ',
  '\\',
  '0x1',
] as const;

/** `count` strings: http:// or https:// followed by up to 12 pieces, the same for the same seed. */
export function urlLikeStrings(count: number, seed: number): string[] {
  const arbitrary = fc
    .tuple(fc.constantFrom('http://', 'https://'), fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }))
    .map(([scheme, parts]) => scheme + parts.join(''));
  return fc.sample(arbitrary, { numRuns: count, seed });
}
