// The gateway's config file (`mcpre gateway --config FILE`): which backends to serve, how to reach them, how to
// aggregate them and who may call. The operator writes the same shape into a ConfigMap for a VirtualMCPServer in
// static mode, so it holds where secrets are (file paths of mounted Secret keys), never secret values.
// Shapes follow ToolHive's vMCP config where one exists (aggregation, tool config), in this project's field names.
import { headerNameProblem, headerValueProblem } from '../header-policy.ts';
import { httpUrlProblem } from '../http-url.ts';
import { type Infer, type Input, type Issue, z } from '../schema.ts';
import { clientCapabilitiesSchema } from './client-capabilities.ts';
import { parseSessionStoreUrl, sessionStoreUrlSchema } from './session-store.ts';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const envVarPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The project's one header rule (header-policy.ts): what the gateway may send to a backend on configuration's say. */
const headerName = z.string().superRefine((name, ctx) => {
  const problem = headerNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: `header "${name.slice(0, 64)}" ${problem.message}` });
});

const headerValue = z.string().superRefine((value, ctx) => {
  const problem = headerValueProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `the header value ${problem}` });
});

const envVarName = z.string().regex(envVarPattern, 'not a valid environment variable name');

/** The project's one URL rule (http-url.ts), the same the CRDs enforce at admission. */
const httpUrl = z.string().superRefine((value, ctx) => {
  const problem = httpUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `the URL ${problem}` });
});

const absolutePath = z
  .string()
  .refine((p) => p.startsWith('/'), { message: 'must be an absolute path' })
  .refine((p) => !p.split('/').includes('..'), { message: "may not contain '..'" });

/**
 * A secret value comes from a file (a mounted Secret key: re-read when the kubelet updates it, so a rotated Secret
 * takes effect without a restart) or from an environment variable (read once at startup: it does not rotate).
 */
const secretFile = absolutePath;

/** Outgoing auth: the subset of MCPExternalAuthConfig that a gateway can apply, with secrets by file or env var. */
export const outgoingAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('unauthenticated') }),
  z
    .strictObject({
      type: z.literal('headerInjection'),
      headerName,
      /** File that holds the header value (a mounted Secret key); exactly one of valueFile and valueEnv. */
      valueFile: secretFile.optional(),
      /** Environment variable that holds the header value (read once at startup). */
      valueEnv: envVarName.optional(),
    })
    .refine((a) => (a.valueFile === undefined) !== (a.valueEnv === undefined), {
      message: 'set exactly one of valueFile and valueEnv',
    }),
  z.strictObject({
    type: z.literal('tokenExchange'),
    tokenUrl: httpUrl,
    clientId: z.string().min(1).optional(),
    /** File that holds the client secret (a mounted Secret key); at most one of clientSecretFile and clientSecretEnv. */
    clientSecretFile: secretFile.optional(),
    clientSecretEnv: envVarName.optional(),
    audience: z.string().min(1),
    scopes: z.array(z.string().min(1)).optional(),
    resource: z.string().min(1).optional(),
    subjectTokenType: z.string().min(1).optional(),
    /** Backend sessions (one per client identity) open at once, the least recently used closed first (default 100). */
    maxClientSessions: z.number().int().min(1).max(10_000).optional(),
    /** A client's backend session unused this long is closed with DELETE (default 600 = 10 minutes). */
    idleSessionSeconds: z.number().int().min(1).max(86_400).optional(),
  }),
]);
export type OutgoingAuthConfig = Infer<typeof outgoingAuthSchema>;

const toolAnnotationsOverride = z.strictObject({
  title: z.string().optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

/** MCPToolConfig's override shape: unset fields keep the backend's value. */
export const toolOverrideSchema = z.strictObject({
  name: z.string().min(1).max(128).optional(),
  description: z.string().optional(),
  annotations: toolAnnotationsOverride.optional(),
});
export type ToolOverrideConfig = Infer<typeof toolOverrideSchema>;

/** Per-backend tool visibility and presentation (MCPToolConfig's spec, plus ToolHive's `excludeAll`). */
export const backendToolConfigSchema = z.strictObject({
  backend: z.string().min(1),
  /** Allow-list of the backend's original tool names; empty or unset shows every tool. */
  filter: z.array(z.string().min(1)).optional(),
  /** Keyed by the backend's original tool name. */
  overrides: z.record(z.string().min(1), toolOverrideSchema).optional(),
  /** Hide every tool of this backend (its resources and prompts stay). */
  excludeAll: z.boolean().optional(),
});
export type BackendToolConfig = Infer<typeof backendToolConfigSchema>;

export const backendConfigSchema = z.strictObject({
  /** Used in prefixes, audit lines and errors; a DNS label like the endpoint it usually comes from. */
  name: z.string().max(63).regex(dnsLabel, 'must be a lowercase DNS label (a-z, 0-9, -)'),
  url: httpUrl,
  transport: z.enum(['streamable-http', 'sse']).default('streamable-http'),
  /** `direct` backends are served only by the replica that holds the Lease; `proxy` backends by every replica. */
  type: z.enum(['direct', 'proxy']).default('direct'),
  /** Plaintext headers (non-secret). */
  headers: z.record(headerName, headerValue).default({}),
  /** Header name to a file holding its value (a mounted Secret key, re-read when it changes). */
  headerFiles: z.record(headerName, secretFile).default({}),
  /** Header name to the environment variable holding its value (read once at startup: it does not rotate). */
  headerEnvVars: z.record(headerName, envVarName).default({}),
  /** PEM bundle appended to the system CA pool for this backend only. */
  caBundlePath: absolutePath.optional(),
  auth: outgoingAuthSchema.default({ type: 'unauthenticated' }),
});
export type BackendConfig = Infer<typeof backendConfigSchema>;

export const aggregationSchema = z.strictObject({
  conflictResolution: z.enum(['prefix', 'priority', 'manual']).default('prefix'),
  conflictResolutionConfig: z
    .strictObject({
      /** `{backend}` (or ToolHive's `{workload}`) is replaced by the backend name. */
      prefixFormat: z.string().min(1).default('{backend}_'),
      /** Highest priority first; backends not listed are prefixed when they conflict. */
      priorityOrder: z.array(z.string().min(1)).default([]),
    })
    .default({ prefixFormat: '{backend}_', priorityOrder: [] }),
  tools: z.array(backendToolConfigSchema).default([]),
});
export type AggregationConfig = Infer<typeof aggregationSchema>;

export const incomingAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('anonymous') }),
  z.strictObject({
    type: z.literal('oidc'),
    issuer: httpUrl,
    audience: z.string().min(1),
    /** Defaults to the issuer's discovery document's `jwks_uri`. */
    jwksUrl: httpUrl.optional(),
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
    /** Accept only these subjects (`sub`), e.g. `system:serviceaccount:ns:name`; empty accepts any valid token. */
    allowedSubjects: z.array(z.string().min(1)).optional(),
    /** A bearer token file sent with discovery and JWKS requests (the pod's service account token). */
    jwksAuthTokenPath: absolutePath.optional(),
    /** CA bundle for HTTPS calls to the issuer (the cluster CA for Kubernetes service account tokens). */
    caBundlePath: absolutePath.optional(),
  }),
]);
export type IncomingAuthConfig = Infer<typeof incomingAuthSchema>;

/** Cedar policies checked before a call reaches the backend (the proxy pod's authzConfig). */
export const authzSchema = z.strictObject({
  type: z.literal('cedar'),
  policies: z.array(z.string().min(1)).min(1),
  /** Cedar entities as a JSON array. */
  entitiesJson: z.string().default('[]'),
});
export type AuthzConfig = Infer<typeof authzSchema>;

/** What the gateway keeps so clients can resume broken SSE streams (`Last-Event-ID`). */
const resumableStreamsDefaults = { maxBytesPerSession: 8 * 1024 * 1024, maxBytes: 64 * 1024 * 1024, ttlSeconds: 300 };
const resumableStreamsSchema = z
  .strictObject({
    /** Approximate serialized bytes of SSE events one session keeps; 0 turns resumption off. */
    maxBytesPerSession: z.number().int().min(0).default(resumableStreamsDefaults.maxBytesPerSession),
    /** The same, all sessions together. */
    maxBytes: z.number().int().min(0).default(resumableStreamsDefaults.maxBytes),
    /** Events older than this are dropped. */
    ttlSeconds: z.number().int().min(1).default(resumableStreamsDefaults.ttlSeconds),
  })
  .refine((r) => r.maxBytes >= r.maxBytesPerSession, {
    path: ['maxBytes'],
    message: 'must be at least maxBytesPerSession',
  });

export const serverSchema = z.strictObject({
  /** Browser origins allowed besides the gateway's own loopback origins. `*` allows any (not recommended). */
  allowedOrigins: z.array(z.string().min(1)).default([]),
  /** Host header values accepted; empty means: loopback names when bound to loopback, anything otherwise. */
  allowedHosts: z.array(z.string().min(1)).default([]),
  maxRequestBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  /** Downstream sessions idle this long are closed. */
  sessionIdleTimeoutSeconds: z.number().int().min(10).default(1800),
  maxSessions: z.number().int().min(1).default(10_000),
  /** Sessions one client (identity with incoming auth, else source address) may hold. */
  maxSessionsPerClient: z.number().int().min(1).default(100),
  resumableStreams: resumableStreamsSchema.default(resumableStreamsDefaults),
});

export const leaseSchema = z.strictObject({
  name: z.string().max(63).regex(dnsLabel, 'must be a lowercase DNS label'),
  namespace: z.string().max(63).regex(dnsLabel, 'must be a lowercase DNS label').optional(),
  durationSeconds: z.number().int().min(2).default(15),
  renewDeadlineSeconds: z.number().int().min(1).default(10),
  retryPeriodSeconds: z.number().int().min(1).default(2),
});
export type LeaseConfig = Infer<typeof leaseSchema>;

/** Client sessions shared by every replica on Redis (session-store.ts); absent keeps them in this process. */
export const sessionStoreSchema = z
  .strictObject({
    url: sessionStoreUrlSchema,
    /** A file holding the password (a mounted Secret key); without it, MCPRE_SESSION_STORE_PASSWORD if set. */
    passwordFile: secretFile.optional(),
    /**
     * PEM CA certificates trusted for a rediss server's certificate in addition to the OS certificate store and
     * Node's bundled roots (a mounted ConfigMap key); watched, and a change is taken up without a restart.
     */
    caFile: absolutePath.optional(),
    /**
     * A PEM client certificate (chain) and its unencrypted private key, presented to a server that asks clients for
     * one (redis `tls-auth-clients yes`); both or neither. Watched like caFile: a renewal needs no restart.
     */
    certFile: absolutePath.optional(),
    // Not a secretFile: the Redis connection reads and watches it with the certificate (runtime/redis-tls-watch.ts).
    keyFile: absolutePath.optional(),
  })
  .superRefine((store, ctx) => {
    if ((store.certFile === undefined) !== (store.keyFile === undefined)) {
      const [path, message] =
        store.certFile === undefined
          ? ['certFile', 'is required with keyFile: a key needs its certificate']
          : ['keyFile', 'is required with certFile: a certificate needs its key'];
      ctx.addIssue({ code: 'custom', path: [path], message });
    }
    const parsed = parseSessionStoreUrl(store.url);
    if (!('address' in parsed) || parsed.address.tls) return;
    for (const field of ['caFile', 'certFile', 'keyFile'] as const)
      if (store[field] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `is only used with TLS: the URL must start with rediss:// (or leave ${field} out)`,
        });
  });
export type SessionStoreConfig = Infer<typeof sessionStoreSchema>;

export const gatewayConfigSchema = z
  .strictObject({
    name: z.string().max(63).regex(dnsLabel, 'must be a lowercase DNS label').default('mcpre-gateway'),
    backends: z.array(backendConfigSchema).default([]),
    aggregation: aggregationSchema.default({
      conflictResolution: 'prefix',
      conflictResolutionConfig: { prefixFormat: '{backend}_', priorityOrder: [] },
      tools: [],
    }),
    incomingAuth: incomingAuthSchema.default({ type: 'anonymous' }),
    server: serverSchema.default({
      allowedOrigins: [],
      allowedHosts: [],
      maxRequestBodyBytes: 4 * 1024 * 1024,
      sessionIdleTimeoutSeconds: 1800,
      maxSessions: 10_000,
      maxSessionsPerClient: 100,
      resumableStreams: resumableStreamsDefaults,
    }),
    /** Which backends must be ready before /readyz says so: any one of them (default), all, or none. */
    readiness: z.enum(['any', 'all', 'none']).default('any'),
    /** Single-replica enforcement: only the Lease holder opens `direct` backends and reports ready. */
    lease: leaseSchema.optional(),
    sessionStore: sessionStoreSchema.optional(),
    /** Authorization of client requests (Cedar); without it every authenticated client may call everything. */
    authz: authzSchema.optional(),
    clientCapabilities: clientCapabilitiesSchema, // declared to backends: client-capabilities.ts
  })
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    cfg.backends.forEach((b, i) => {
      if (names.has(b.name))
        ctx.addIssue({ code: 'custom', path: ['backends', i, 'name'], message: `duplicate backend name "${b.name}"` });
      names.add(b.name);
      const injected = b.auth.type === 'headerInjection' ? b.auth.headerName.toLowerCase() : undefined;
      const sources = (['headers', 'headerFiles', 'headerEnvVars'] as const).map(
        (field) => [field, Object.keys(b[field]).map((h) => h.toLowerCase())] as const,
      );
      const seen = new Map<string, string>();
      for (const [field, headers] of sources) {
        for (const h of headers) {
          const first = seen.get(h);
          if (first && first !== field)
            ctx.addIssue({
              code: 'custom',
              path: ['backends', i, field, h],
              message: `header "${h}" is set both in ${first} and ${field}`,
            });
          seen.set(h, first ?? field);
        }
      }
      if (injected && seen.has(injected)) {
        ctx.addIssue({
          code: 'custom',
          path: ['backends', i, 'auth', 'headerName'],
          message: `header "${injected}" is also set in headers, headerFiles or headerEnvVars`,
        });
      }
      if (b.auth.type === 'tokenExchange' && b.auth.clientSecretFile && b.auth.clientSecretEnv) {
        ctx.addIssue({
          code: 'custom',
          path: ['backends', i, 'auth', 'clientSecretFile'],
          message: 'set at most one of clientSecretFile and clientSecretEnv',
        });
      }
    });
    const { conflictResolution, conflictResolutionConfig, tools } = cfg.aggregation;
    // Without static backends the names refer to backends discovered at run time (--group), unknown here.
    const checkNames = cfg.backends.length > 0;
    conflictResolutionConfig.priorityOrder.forEach((n, i) => {
      if (checkNames && !names.has(n))
        ctx.addIssue({
          code: 'custom',
          path: ['aggregation', 'conflictResolutionConfig', 'priorityOrder', i],
          message: `no backend named "${n}"`,
        });
    });
    if (conflictResolution === 'priority' && conflictResolutionConfig.priorityOrder.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['aggregation', 'conflictResolutionConfig', 'priorityOrder'],
        message: 'conflictResolution "priority" needs a non-empty priorityOrder',
      });
    }
    const tooled = new Set<string>();
    tools.forEach((t, i) => {
      if (checkNames && !names.has(t.backend))
        ctx.addIssue({
          code: 'custom',
          path: ['aggregation', 'tools', i, 'backend'],
          message: `no backend named "${t.backend}"`,
        });
      if (tooled.has(t.backend))
        ctx.addIssue({
          code: 'custom',
          path: ['aggregation', 'tools', i, 'backend'],
          message: `backend "${t.backend}" has more than one tools entry`,
        });
      tooled.add(t.backend);
    });
    if (cfg.lease && cfg.lease.renewDeadlineSeconds >= cfg.lease.durationSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['lease', 'renewDeadlineSeconds'],
        message: 'must be shorter than durationSeconds, or two replicas could both believe they hold the Lease',
      });
    }
  });

export type GatewayConfig = Infer<typeof gatewayConfigSchema>;
export type GatewayConfigInput = Input<typeof gatewayConfigSchema>;

export class GatewayConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayConfigError';
  }
}

/** Validate an already-parsed object; errors list every problem as `path: message`. */
export function validateGatewayConfig(value: unknown, source = 'gateway config'): GatewayConfig {
  const result = gatewayConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map(
    (issue) => `  ${formatPath(issue.path) || '(top level)'}${backendNamed(value, issue.path)}: ${issueMessage(issue)}`,
  );
  throw new GatewayConfigError(`${source} is invalid:\n${lines.join('\n')}`);
}

/** ` (backend "name")` after a backend's URL problem, so the message says which backend to fix. */
function backendNamed(value: unknown, path: readonly PropertyKey[]): string {
  if (path[0] !== 'backends' || typeof path[1] !== 'number' || path[2] !== 'url' || path.length !== 3) return '';
  const entry = (value as { backends?: unknown[] } | null | undefined)?.backends?.[path[1]];
  const name = (entry as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? ` (backend ${JSON.stringify(name)})` : '';
}

/** A bad record key ("Invalid key in record") carries the key schema's own, more useful messages. */
function issueMessage(issue: Issue): string {
  if (issue.code === 'invalid_key' && issue.issues?.length) return issue.issues.map((i) => i.message).join('; ');
  return issue.message;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}
