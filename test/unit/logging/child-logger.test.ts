// childLogger: a key bound again takes the new value instead of appearing twice in the line.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { childLogger, createLogger } from '../../../src/runtime/logging.ts';
import { duplicateKeys } from '../../support/duplicate-keys.ts';

function sink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('childLogger', () => {
  it('replaces a bound key instead of writing it twice, at any depth', () => {
    const { lines, stream } = sink();
    const root = createLogger({ level: 'info', timestamp: false }, stream, { component: 'gateway' });
    const audit = childLogger(root, { component: 'audit' });
    const backend = childLogger(childLogger(audit, { backend: 'a' }), { backend: 'a', session: 's' });
    root.info('r');
    audit.info('x');
    backend.info('y');
    expect(lines).toEqual([
      '{"level":30,"component":"gateway","msg":"r"}',
      '{"level":30,"component":"audit","msg":"x"}',
      '{"level":30,"component":"audit","backend":"a","session":"s","msg":"y"}',
    ]);
    // What pino's own child() does with the same bindings, for contrast.
    root.child({ component: 'audit' }).info('z');
    expect(duplicateKeys(lines.at(-1) as string)).toEqual(['component']);
  });

  it('keeps the bindings of a logger made elsewhere (they cannot be taken back) and does not repeat them', () => {
    const { lines, stream } = sink();
    const foreign = pino({ level: 'info', base: { component: 'test' }, timestamp: false }, stream).child({
      backend: 'a',
    });
    childLogger(childLogger(foreign, { backend: 'a', client: 'alice' }), { component: 'audit', client: 'bob' }).info(
      'm',
    );
    expect(lines).toEqual(['{"level":30,"component":"test","backend":"a","client":"bob","msg":"m"}']);
  });

  it("takes the parent's level, not the root's", () => {
    const { lines, stream } = sink();
    const root = createLogger({ level: 'info', timestamp: false }, stream, { component: 'gateway' });
    root.level = 'warn';
    childLogger(root, { component: 'audit' }).info('dropped');
    expect(lines).toEqual([]);
  });
});
