// The generated types are what other modules import; these assertions are checked by `tsc` (part of the test
// command) and pin the names and the shapes that the RFC fixes.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  Condition,
  MCPExternalAuthConfig,
  MCPExternalAuthConfigSpec,
  MCPGroup,
  MCPGroupStatus,
  MCPRemoteEndpoint,
  MCPRemoteEndpointSpec,
  MCPRemoteEndpointStatus,
  MCPToolConfig,
  MCPToolConfigSpec,
  SecretKeyRef,
} from '../../../src/api/generated/index.ts';

describe('generated CRD types', () => {
  it('type the envelope: literal apiVersion and kind, V1ObjectMeta metadata', () => {
    expectTypeOf<MCPRemoteEndpoint['apiVersion']>().toEqualTypeOf<'toolhive.stacklok.dev/v1alpha1'>();
    expectTypeOf<MCPRemoteEndpoint['kind']>().toEqualTypeOf<'MCPRemoteEndpoint'>();
    expectTypeOf<MCPRemoteEndpoint['metadata']>().toEqualTypeOf<V1ObjectMeta>();
    expectTypeOf<MCPGroup['kind']>().toEqualTypeOf<'MCPGroup'>();
    expectTypeOf<MCPExternalAuthConfig['kind']>().toEqualTypeOf<'MCPExternalAuthConfig'>();
    expectTypeOf<MCPToolConfig['kind']>().toEqualTypeOf<'MCPToolConfig'>();
  });

  it('carry the RFC enums and required fields', () => {
    expectTypeOf<MCPRemoteEndpointSpec['type']>().toEqualTypeOf<'proxy' | 'direct'>();
    expectTypeOf<MCPRemoteEndpointSpec['transport']>().toEqualTypeOf<'streamable-http' | 'sse'>();
    expectTypeOf<MCPRemoteEndpointSpec['remoteURL']>().toEqualTypeOf<string>();
    expectTypeOf<MCPRemoteEndpointSpec['groupRef']>().toEqualTypeOf<string>();
    expectTypeOf<MCPRemoteEndpointStatus['phase']>().toEqualTypeOf<
      'Pending' | 'Ready' | 'Failed' | 'Terminating' | undefined
    >();
    expectTypeOf<NonNullable<MCPRemoteEndpointStatus['conditions']>[number]>().toEqualTypeOf<Condition>();
    expectTypeOf<Condition['status']>().toEqualTypeOf<'True' | 'False' | 'Unknown'>();
    expectTypeOf<MCPGroupStatus['remoteEndpoints']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<MCPGroupStatus['remoteEndpointCount']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<MCPExternalAuthConfigSpec['type']>().toEqualTypeOf<
      'unauthenticated' | 'headerInjection' | 'tokenExchange' | 'embeddedAuthServer' | 'awsSts'
    >();
    expectTypeOf<
      NonNullable<MCPExternalAuthConfigSpec['headerInjection']>['valueSecretRef']
    >().toEqualTypeOf<SecretKeyRef>();
    expectTypeOf<MCPToolConfigSpec['toolsFilter']>().toEqualTypeOf<string[] | undefined>();
  });
});
