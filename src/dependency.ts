import { describeError } from './describe-error.js';
import { UnavailableError } from './errors.js';

/** Waits for a dependency at start-up; failing or silent for 15 s, it stops start-up with one sentence. */
export async function dependency<T>(name: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 15 s')), 15_000);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (error) {
    throw new UnavailableError(`${name} is not usable: ${describeError(error)}.`);
  } finally {
    clearTimeout(timer);
  }
}
