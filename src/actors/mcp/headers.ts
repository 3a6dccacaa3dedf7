// The header policy (src/api/header-policy.ts) as the backend session applies it: a refused name or value is a
// configuration error (not retryable: sending again would send the same thing), and the error names the header,
// never its value.
import { headerNameProblem, headerValueProblem } from '../../api/header-policy.ts';
import type { OutgoingAuth } from './auth/types.ts';
import { configError } from './errors.ts';
import type { SecretRedactor } from './redactor.ts';
import type { HeaderSource } from './transports/types.ts';

/** The name, lower-cased, when configuration may set it. */
export function validateHeaderName(name: string, source: string): string {
  const problem = headerNameProblem(name);
  if (problem) throw configError(`${source}: header ${JSON.stringify(String(name).slice(0, 64))} ${problem.message}`);
  return name.toLowerCase();
}

export function validateHeaderValue(name: string, value: string, source: string): string {
  const problem = headerValueProblem(value);
  if (problem) throw configError(`${source}: the value of header "${name}" ${problem}; refusing to send it`);
  return value;
}

/** Every header of one outgoing request, checked as it is sent. */
export function checkOutgoingHeaders(headers: Record<string, string>, source: string): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    validateHeaderName(name, source);
    validateHeaderValue(name, value, source);
  }
  return headers;
}

/**
 * The headers `auth` gives, each value registered with the backend's redactor before the policy check (so even a
 * refused value is known and kept out of errors). Both run once per distinct set of values rather than per request:
 * a static set once per connection, a refreshed token when it changes, and a value the redactor has forgotten since
 * (it keeps the most recent ones) is registered again before it is sent. An unchanged set comes back as the same
 * frozen object, so a transport may reuse what it built from it.
 */
export function checkedHeaderSource(auth: OutgoingAuth, redactor: SecretRedactor): HeaderSource {
  let last: Readonly<Record<string, string>> | undefined;
  return async (signal) => {
    const values = await auth.headers(signal);
    if (last && sameHeaders(values, last)) return last;
    last = undefined;
    redactor.addHeaders(values);
    last = Object.freeze({ ...checkOutgoingHeaders(values, `outgoing auth ${auth.method}`) });
    return last;
  };

  function sameHeaders(values: Record<string, string>, checked: Readonly<Record<string, string>>): boolean {
    let count = 0;
    for (const name in values) {
      const value = values[name] as string;
      if (checked[name] !== value || !redactor.knows(value)) return false;
      count++;
    }
    for (const _ in checked) count--;
    return count === 0;
  }
}
