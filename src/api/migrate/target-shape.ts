// The shape of MCPRemoteEndpoint's spec as the migration needs it at run time: which keys exist (in the CRD's order,
// which is also the output's key order), their scalar types, enums and minimal lengths. It mirrors
// crds/toolhive.stacklok.dev_mcpremoteendpoints.yaml; test/unit/migrate/target-shape.test.ts fails when the two
// drift apart, so this file can be trusted without loading the CRD at run time. `required` lists the CRD's required
// fields minus those with a default (the API server fills those in before it validates).

export type Shape =
  | {
      kind: 'string';
      enum?: readonly string[];
      minLength?: number;
      pattern?: RegExp;
      /** The CRD's URL rule (src/api/http-url.ts) applies; `optional`: the empty string means unset. */
      url?: 'required' | 'optional';
    }
  | { kind: 'integer'; minimum?: number; maximum?: number }
  | { kind: 'boolean' }
  | { kind: 'object'; fields: Readonly<Record<string, Shape>>; required?: readonly string[] }
  | { kind: 'map'; values: Shape }
  | { kind: 'list'; items: Shape };

const str = (
  extra: { enum?: readonly string[]; minLength?: number; pattern?: RegExp; url?: 'required' | 'optional' } = {},
): Shape => ({
  kind: 'string',
  ...extra,
});
const name: Shape = str({ minLength: 1 });
const bool: Shape = { kind: 'boolean' };
const obj = (fields: Record<string, Shape>, required?: readonly string[]): Shape =>
  required ? { kind: 'object', fields, required } : { kind: 'object', fields };
const stringMap: Shape = { kind: 'map', values: str() };
const metadataOverrides = obj({ annotations: stringMap, labels: stringMap });

export const OIDC_CONFIG_SHAPE: Shape = obj({
  type: str({ enum: ['kubernetes', 'configMap', 'inline'] }),
  resourceUrl: str(),
  kubernetes: obj({
    serviceAccount: str(),
    namespace: str(),
    audience: str(),
    issuer: str({ url: 'optional' }),
    jwksUrl: str({ url: 'optional' }),
    introspectionUrl: str(),
    useClusterAuth: bool,
  }),
  configMap: obj({ name, key: str() }, ['name']),
  inline: obj(
    {
      issuer: str({ minLength: 1, url: 'required' }),
      audience: str(),
      jwksUrl: str({ url: 'optional' }),
      introspectionUrl: str(),
      clientId: str(),
      clientSecretRef: obj({ name, key: name }, ['name', 'key']),
      thvCABundlePath: str(),
      jwksAuthTokenPath: str(),
      jwksAllowPrivateIP: bool,
      insecureAllowHTTP: bool,
    },
    ['issuer'],
  ),
});

export const TELEMETRY_SHAPE: Shape = obj({
  openTelemetry: obj({
    enabled: bool,
    endpoint: str(),
    serviceName: str(),
    headers: { kind: 'list', items: str() },
    sensitiveHeaders: {
      kind: 'list',
      items: obj({ name, secretKeyRef: obj({ name, key: name }, ['name', 'key']) }, ['name', 'secretKeyRef']),
    },
    resourceAttributes: stringMap,
    insecure: bool,
    metrics: obj({ enabled: bool }),
    tracing: obj({ enabled: bool, samplingRate: str() }),
  }),
  prometheus: obj({ enabled: bool }),
});

export const PROXY_CONFIG_SHAPE: Shape = obj(
  {
    oidcConfig: OIDC_CONFIG_SHAPE,
    authzConfig: obj({
      type: str({ enum: ['configMap', 'inline'] }),
      configMap: obj({ name, key: str() }, ['name']),
      inline: obj({ policies: { kind: 'list', items: str() }, entitiesJson: str() }, ['policies']),
    }),
    audit: obj({ enabled: bool }),
    telemetry: TELEMETRY_SHAPE,
    resources: obj({
      limits: obj({ cpu: str(), memory: str() }),
      requests: obj({ cpu: str(), memory: str() }),
    }),
    serviceAccount: str(),
    proxyPort: { kind: 'integer', minimum: 1, maximum: 65535 },
    sessionAffinity: str({ enum: ['ClientIP', 'None'] }),
    trustProxyHeaders: bool,
    endpointPrefix: str(),
    resourceOverrides: obj({
      proxyDeployment: obj({
        annotations: stringMap,
        labels: stringMap,
        podTemplateMetadataOverrides: metadataOverrides,
        env: { kind: 'list', items: obj({ name, value: str() }, ['name', 'value']) },
        args: { kind: 'list', items: str() },
      }),
      proxyService: metadataOverrides,
    }),
  },
  ['oidcConfig'],
);

export const HEADER_FORWARD_SHAPE: Shape = obj({
  addPlaintextHeaders: stringMap,
  addHeadersFromSecret: {
    kind: 'list',
    items: obj({ headerName: name, valueSecretRef: obj({ name, key: name }, ['name', 'key']) }, [
      'headerName',
      'valueSecretRef',
    ]),
  },
});

export const SPEC_SHAPE: Shape = obj(
  {
    type: str({ enum: ['proxy', 'direct'] }),
    remoteURL: str({ url: 'required' }),
    transport: str({ enum: ['streamable-http', 'sse'] }),
    groupRef: name,
    externalAuthConfigRef: obj({ name }, ['name']),
    headerForward: HEADER_FORWARD_SHAPE,
    caBundleRef: obj({ name, key: name }, ['name']),
    toolConfigRef: obj({ name }, ['name']),
    proxyConfig: PROXY_CONFIG_SHAPE,
  },
  ['remoteURL', 'transport', 'groupRef'],
);

/** The fields of an object shape (empty for any other shape), for callers that walk a known object. */
export function fieldsOf(shape: Shape): Readonly<Record<string, Shape>> {
  return shape.kind === 'object' ? shape.fields : {};
}
