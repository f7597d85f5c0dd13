import { describe, expect, it } from '@jest/globals';
import { ActiveHandlers } from '../src/bus/active-handlers.js';
import { RequestContext } from '../src/bus/handler-context.js';

describe('ActiveHandlers.leave', () => {
  it('removes only the entry it is given: a handler its peer outlived cannot remove a newer call with its id', () => {
    const table = new ActiveHandlers(8, () => true);
    const context = (): RequestContext => new RequestContext('m', 7, { id: 'p' }, undefined);
    const old = table.enter('p', 7, context())!;
    // The link went and came back under the same peer id (a client's server): a new call 7 arrives.
    table.abort('p', 'link lost');
    const current = table.enter('p', 7, context())!;
    expect(table.leave('p', old)).toBe(false);
    expect(table.size).toBe(1);
    expect(table.admit('p', 7)).toBe('duplicate');
    expect(table.leave('p', current)).toBe(true);
    expect(table.size).toBe(0);
  });
});
