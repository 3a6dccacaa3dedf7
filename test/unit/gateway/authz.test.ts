import { describe, expect, it } from 'vitest';
import { AuthzConfigError, createCedarAuthorizer } from '../../../src/gateway/authz.ts';

describe('Cedar authorizer', () => {
  const authz = createCedarAuthorizer({
    type: 'cedar',
    policies: [
      'permit(principal, action == Action::"call_tool", resource == Tool::"echo");',
      'permit(principal == Client::"admin", action, resource);',
      'permit(principal, action == Action::"call_tool", resource == Tool::"add") when { context.claim_team == "math" && context.arg_a < 100 };',
      'forbid(principal == Client::"mallory", action, resource);',
    ],
    entitiesJson: '[]',
  });

  it('allows what a policy permits and denies the rest (default deny, forbid wins)', () => {
    expect(authz.allowed({ subject: 'bob', action: 'call_tool', resource: 'echo' })).toBe(true);
    expect(authz.allowed({ subject: 'bob', action: 'call_tool', resource: 'delete_repo' })).toBe(false);
    expect(authz.allowed({ subject: 'bob', action: 'get_prompt', resource: 'echo' })).toBe(false);
    expect(authz.allowed({ subject: 'admin', action: 'read_resource', resource: 'file:///x' })).toBe(true);
    expect(authz.allowed({ subject: 'mallory', action: 'call_tool', resource: 'echo' })).toBe(false);
  });

  it('puts claims and primitive arguments in the context; a policy that reads a missing one denies', () => {
    const call = (claims: Record<string, unknown>, args?: Record<string, unknown>) =>
      authz.allowed({ subject: 'carol', claims, action: 'call_tool', resource: 'add', args });
    expect(call({ team: 'math' }, { a: 1, b: 2 })).toBe(true);
    expect(call({ team: 'math' }, { a: 500 })).toBe(false);
    expect(call({ team: 'art' }, { a: 1 })).toBe(false);
    expect(call({ team: 'math' })).toBe(false);
    expect(call({ team: 'math' }, { a: 1.5 })).toBe(false);
  });

  it('refuses policies that do not parse and entities that are not an array', () => {
    expect(() =>
      createCedarAuthorizer({ type: 'cedar', policies: ['permit(principal, action'], entitiesJson: '[]' }),
    ).toThrow(AuthzConfigError);
    expect(() =>
      createCedarAuthorizer({ type: 'cedar', policies: ['permit(principal, action, resource);'], entitiesJson: '{}' }),
    ).toThrow(/not a JSON array/);
  });
});
