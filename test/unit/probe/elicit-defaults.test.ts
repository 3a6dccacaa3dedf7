// `mcpre probe --elicit-defaults`: an elicitation is accepted with the requested schema's defaults, nothing else is
// answered.
import { describe, expect, it } from 'vitest';
import { answerWithDefaults, defaultsOf } from '../../../src/probe/elicit-defaults.ts';

describe('probe --elicit-defaults', () => {
  it('accepts with each property default, leaving out properties without one', async () => {
    const requestedSchema = {
      type: 'object',
      properties: {
        name: { type: 'string', default: 'John Doe' },
        age: { type: 'integer', default: 30 },
        verified: { type: 'boolean', default: false },
        status: { type: 'string', enum: ['active', 'inactive'], default: 'active' },
        note: { type: 'string' },
      },
    };
    await expect(
      answerWithDefaults({ method: 'elicitation/create', params: { message: 'ok?', requestedSchema } }),
    ).resolves.toEqual({
      action: 'accept',
      content: { name: 'John Doe', age: 30, verified: false, status: 'active' },
    });
  });

  it('a schema without properties gives empty content', () => {
    expect(defaultsOf(undefined)).toEqual({});
    expect(defaultsOf({ type: 'object', properties: [] })).toEqual({});
  });

  it('refuses sampling, roots and URL-mode elicitation as a client without them would', async () => {
    await expect(answerWithDefaults({ method: 'sampling/createMessage', params: {} })).rejects.toMatchObject({
      code: -32601,
    });
    await expect(answerWithDefaults({ method: 'roots/list' })).rejects.toMatchObject({ code: -32601 });
    await expect(
      answerWithDefaults({ method: 'elicitation/create', params: { mode: 'url', url: 'https://x' } }),
    ).rejects.toMatchObject({ code: -32601 });
  });
});
