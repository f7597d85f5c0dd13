/**
 * The cluster example's contract: one method that any instance can answer.
 * Its reply names the instance, so the client can count who did the work.
 * `run` is idempotent (the same `n` always gives the same result), which is
 * what makes retrying a call safe when its instance died holding it.
 */
import { contract, rpc } from '@pipebus/contract';
import { z } from 'zod';

export const Jobs = contract('jobs', { version: '1.0.0' }, {
  run: rpc({
    input: z.number().int().nonnegative(),
    output: z.object({ n: z.number(), result: z.number(), instance: z.string() }),
  }),
});

/** The queue group every instance joins: NATS hands each call to one member. */
export const QUEUE = 'workers';
