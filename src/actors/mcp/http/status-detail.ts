// What a non-2xx answer says, for the failure message. A redirect is not followed (the request carries the backend's
// credentials, which must not travel to wherever a remote points), so its message names the target, origin and path
// only (a query may hold a key), and what to do about it; any other status gets the body's JSON-RPC error detail.
import { safeUrl } from '../log.ts';
import type { Redactor } from '../redactor.ts';
import { type AnswerLike, drain, errorDetail, header } from './body.ts';

export async function statusDetail(res: AnswerLike, requestUrl: URL, redactor: Redactor): Promise<string | undefined> {
  if (res.statusCode < 300 || res.statusCode >= 400) return errorDetail(res.body, redactor);
  await drain(res.body);
  return redirectDetail(header(res.headers, 'location'), requestUrl);
}

export function redirectDetail(location: string | undefined, requestUrl: URL): string {
  const advice = 'mcpre does not follow redirects; if the server moved, configure its new URL';
  if (!location) return `a redirect without a Location; ${advice}`;
  let target: string;
  try {
    target = safeUrl(new URL(location, requestUrl));
  } catch {
    return `a redirect to an invalid Location; ${advice}`;
  }
  return `redirected to ${target}; ${advice}`;
}
