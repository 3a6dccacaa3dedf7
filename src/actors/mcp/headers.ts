// The header policy (src/api/header-policy.ts) as the backend session applies it: a refused name or value is a
// configuration error (not retryable: sending again would send the same thing), and the error names the header,
// never its value.
import { headerNameProblem, headerValueProblem } from '../../api/header-policy.ts';
import { configError } from './errors.ts';

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
