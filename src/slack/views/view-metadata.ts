import { z } from 'zod';
import { LIMITS } from './limits.js';

/** A view's private_metadata: JSON written by opsbot, read back through `schema`; anything else is an issue. */
export function viewMetadata<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .max(LIMITS.privateMetadata)
    .transform((text, ctx): z.infer<T> => {
      try {
        return schema.parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'bad private_metadata' });
        return z.NEVER;
      }
    });
}
