// The gateway's config file as text (YAML, or JSON, which YAML includes) into a validated config. Apart from config.ts
// so that a gateway whose config comes from elsewhere (proxy mode's environment, `mcpre up`, --group) never loads the
// YAML parser.
import { parse as parseYaml } from 'yaml';
import { type GatewayConfig, GatewayConfigError, validateGatewayConfig } from './config.ts';

/** Parse YAML (or JSON) text into a validated config. */
export function parseGatewayConfig(text: string, source = 'gateway config'): GatewayConfig {
  let value: unknown;
  try {
    value = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new GatewayConfigError(`${source} is not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  return validateGatewayConfig(value, source);
}
