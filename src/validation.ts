import { parsePhoneNumberWithError } from "libphonenumber-js";
import { z } from "zod";

/** Input rules shared by every domain; limits are part of the API contract. */
export const LIMITS = {
  name: 200,
  email: 254,
  subject: 250,
  body: 65_536,
  tag: 64,
  tagsPerTicket: 50,
  password: { min: 12, max: 256 },
  search: 200,
  pageSize: 100,
} as const;

export const nameSchema = z.string().trim().min(1, "must not be empty").max(LIMITS.name);
/** How contacts' emails are stored and compared: trimmed, lower case. */
export const normalizeEmail = (v: string) => v.trim().toLowerCase();
export const emailSchema = z.string().trim().max(LIMITS.email).email("must be a valid email address").transform(normalizeEmail);
export const localeSchema = z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "must be a locale such as en or fr-BE");
export const subjectSchema = z.string().trim().min(1, "must not be empty").max(LIMITS.subject);
export const bodySchema = z.string().trim().min(1, "must not be empty").max(LIMITS.body);
export const tagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(LIMITS.tag)
  .regex(/^[\p{L}\p{N}_:.-]+$/u, "may hold letters, digits, _ : . - only");
export const tagsSchema = z.array(tagSchema).max(LIMITS.tagsPerTicket);
export const passwordSchema = z
  .string()
  .min(LIMITS.password.min, `must be at least ${LIMITS.password.min} characters`)
  .max(LIMITS.password.max);

/** Accepts any international notation and normalises it to E.164 (+4930123456). */
export const phoneSchema = z.string().transform((value, ctx) => {
  try {
    const phone = parsePhoneNumberWithError(value.trim());
    if (!phone.isValid()) throw new Error("invalid");
    return phone.number as string;
  } catch {
    ctx.addIssue({ code: "custom", message: "must be a valid international phone number such as +33612345678" });
    return z.NEVER;
  }
});
