import { randomBytes } from 'node:crypto';

/** A short random id with a readable prefix; never all digits and never contains ':' (BullMQ job ids). */
export function newId(prefix: 'run' | 'err' | 'req' | 'inc' | 'acc'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}
