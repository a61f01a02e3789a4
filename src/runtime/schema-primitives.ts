/**
 * The small zod pieces the platform schema and its variant modules (auth kinds, pagination kinds, rate-limit
 * models) share. Only zod here: the variant modules import it while `platform-schema.ts` imports them.
 */
import { z } from 'zod';

/** A credential, connection variable or basic-auth field name. */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** An https URL that may contain `{variable}` placeholders. */
export const urlTemplate = z.string().refine((s) => /^https:\/\/[^\s]+$/.test(s), {
  message: 'must be an https:// URL (placeholders such as {shop} allowed)',
});

export const jsonPointerPath = z
  .string()
  .regex(/^[A-Za-z0-9_$@.-]*$/, 'must be a dotted path such as "paging.next.after" (empty for the body itself)');

const credentialField = z
  .object({
    description: z.string().min(1),
    secret: z.boolean().default(true),
    optional: z.boolean().default(false),
  })
  .strict();

/** Credentials a platform takes beyond its auth kind's own (a Shopify shop's API secret, an account id). */
export const extraCredentials = z.record(z.string().regex(NAME_PATTERN), credentialField).default({});

export const headerForm = z
  .object({
    name: z.string().min(1),
    /** Template over credential fields, e.g. `Bearer {accessToken}` or `{accessToken}`. */
    value: z.string().min(1),
  })
  .strict();
