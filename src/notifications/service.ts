import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { AppError, validationError } from "../errors.js";
import type { NotificationStatus } from "../generated/prisma/client.js";
import { BUILT_IN_LOCALES, DEFAULTS } from "./defaults.js";
import { KINDS, type NotificationKind, placeholdersOf } from "./kinds.js";
import { checkNotificationTemplate } from "./render.js";
import { enabledKinds } from "./settings.js";

const LOCALE = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/;

export interface KindSettings {
  kind: NotificationKind;
  enabled: boolean;
  required: boolean;
  purpose: string;
  description: string;
  placeholders: string[];
  templates: { locale: string; subject: string; body: string; builtIn: boolean }[];
}

/** Every kind as the tenant has it: on or off, its own templates first, then the built-in ones it has not replaced. */
export async function notificationSettings(ctx: Context, only?: NotificationKind): Promise<KindSettings[]> {
  const [enabled, templates] = await Promise.all([
    enabledKinds(ctx.db),
    ctx.db.notificationTemplate.findMany({ orderBy: [{ kind: "asc" }, { locale: "asc" }] }),
  ]);
  const kinds = only ? [only] : (Object.keys(KINDS) as NotificationKind[]);
  return kinds.map((kind) => {
    const own = templates
      .filter((t) => t.kind === kind)
      .map((t) => ({ locale: t.locale, subject: t.subject, body: t.body, builtIn: false }));
    const builtIn = BUILT_IN_LOCALES.filter((l) => !own.some((o) => o.locale === l)).map((locale) => ({
      locale,
      ...DEFAULTS[kind][locale],
      builtIn: true,
    }));
    return {
      kind,
      enabled: enabled.has(kind),
      required: KINDS[kind].required ?? false,
      purpose: KINDS[kind].purpose,
      description: KINDS[kind].description,
      placeholders: placeholdersOf(kind),
      templates: [...own, ...builtIn],
    };
  });
}

const one = async (ctx: Context, kind: NotificationKind) => (await notificationSettings(ctx, kind))[0]!;

export interface TemplateInput {
  kind: NotificationKind;
  locale: string;
  subject: string;
  body: string;
}

/** Saves the tenant's wording of a kind in a locale (replacing the built-in one there). */
export async function setNotificationTemplate(ctx: Context, input: TemplateInput) {
  const { tenantId } = requireViewer(ctx);
  const locale = input.locale.trim().toLowerCase();
  if (!LOCALE.test(locale)) throw validationError([{ path: ["input", "locale"], message: "a language tag such as en, nl or de-at" }]);
  checkNotificationTemplate(input.kind, input.subject, ["input", "subject"]);
  checkNotificationTemplate(input.kind, input.body, ["input", "body"]);
  await ctx.db.notificationTemplate.upsert({
    where: { tenantId_kind_locale: { tenantId, kind: input.kind, locale } },
    create: { tenantId, kind: input.kind, locale, subject: input.subject, body: input.body },
    update: { subject: input.subject, body: input.body },
  });
  return one(ctx, input.kind);
}

/** Removes the tenant's wording in a locale: the built-in one applies again. NOT_FOUND when there is none. */
export async function deleteNotificationTemplate(ctx: Context, kind: NotificationKind, rawLocale: string) {
  const locale = rawLocale.trim().toLowerCase();
  const { count } = await ctx.db.notificationTemplate.deleteMany({ where: { kind, locale } });
  if (!count) throw new AppError("NOT_FOUND", `The tenant has no ${kind} template in ${locale}`);
  return one(ctx, kind);
}

/** Turns a kind on or off for the tenant; a required kind (DSR_VERIFICATION) cannot be turned off. */
export async function setNotificationEnabled(ctx: Context, kind: NotificationKind, enabled: boolean) {
  const { tenantId } = requireViewer(ctx);
  if (KINDS[kind].required && !enabled) {
    throw validationError([{ path: ["kind"], message: `${kind} is always sent: the flow it belongs to needs it` }]);
  }
  await ctx.db.notificationSetting.upsert({
    where: { tenantId_kind: { tenantId, kind } },
    create: { tenantId, kind, enabled },
    update: { enabled },
  });
  return one(ctx, kind);
}

export interface NotificationFilter {
  kind?: NotificationKind | null;
  status?: NotificationStatus | null;
  contactId?: string | null;
  ticketId?: string | null;
}

/** The notifications queued and sent, newest first. */
export function listNotifications(ctx: Context, filter: NotificationFilter | null | undefined, first: number) {
  return ctx.db.notification.findMany({
    where: {
      ...(filter?.kind ? { kind: filter.kind } : {}),
      ...(filter?.status ? { status: filter.status } : {}),
      ...(filter?.contactId ? { contactId: filter.contactId } : {}),
      ...(filter?.ticketId ? { ticketId: filter.ticketId } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: first,
  });
}
