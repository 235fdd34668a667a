import type { NotificationKind } from "./kinds.js";

export interface Wording {
  subject: string;
  body: string;
}

/** The locales with built-in wording; a tenant can add templates in any other. */
export const BUILT_IN_LOCALES = ["en", "nl", "de", "fr"] as const;
type BuiltIn = (typeof BUILT_IN_LOCALES)[number];

/** Built-in wording of every kind, per locale (mustache; values are escaped). */
export const DEFAULTS: Record<NotificationKind, Record<BuiltIn, Wording>> = {
  TICKET_ACKNOWLEDGEMENT: {
    en: {
      subject: "[#{{ticket.number}}] We received your request: {{ticket.subject}}",
      body: "Hello {{firstName}},\n\nThank you for writing to {{tenant.name}}. Your request has number {{ticket.number}}; we will answer as soon as we can. Reply to this email to add anything.\n\n{{tenant.name}}",
    },
    nl: {
      subject: "[#{{ticket.number}}] We hebben uw verzoek ontvangen: {{ticket.subject}}",
      body: "Hallo {{firstName}},\n\nBedankt voor uw bericht aan {{tenant.name}}. Uw verzoek heeft nummer {{ticket.number}}; we antwoorden zo snel mogelijk. Beantwoord deze e-mail om iets toe te voegen.\n\n{{tenant.name}}",
    },
    de: {
      subject: "[#{{ticket.number}}] Wir haben Ihre Anfrage erhalten: {{ticket.subject}}",
      body: "Hallo {{firstName}},\n\ndanke für Ihre Nachricht an {{tenant.name}}. Ihre Anfrage hat die Nummer {{ticket.number}}; wir antworten so bald wie möglich. Antworten Sie auf diese E-Mail, um etwas zu ergänzen.\n\n{{tenant.name}}",
    },
    fr: {
      subject: "[#{{ticket.number}}] Nous avons bien reçu votre demande : {{ticket.subject}}",
      body: "Bonjour {{firstName}},\n\nMerci d'avoir écrit à {{tenant.name}}. Votre demande porte le numéro {{ticket.number}} ; nous vous répondrons dès que possible. Répondez à cet e-mail pour ajouter quelque chose.\n\n{{tenant.name}}",
    },
  },
  SATISFACTION_REQUEST: {
    en: {
      subject: "[#{{ticket.number}}] How did we do?",
      body: 'Hello {{firstName}},\n\nYour request "{{ticket.subject}}" is solved. How was our help? Rate it here: {{link}}\n\n{{tenant.name}}',
    },
    nl: {
      subject: "[#{{ticket.number}}] Hoe hebben we het gedaan?",
      body: 'Hallo {{firstName}},\n\nUw verzoek "{{ticket.subject}}" is opgelost. Hoe was onze hulp? Geef een beoordeling: {{link}}\n\n{{tenant.name}}',
    },
    de: {
      subject: "[#{{ticket.number}}] Wie war unsere Hilfe?",
      body: 'Hallo {{firstName}},\n\nIhre Anfrage "{{ticket.subject}}" ist gelöst. Wie war unsere Hilfe? Bewerten Sie sie hier: {{link}}\n\n{{tenant.name}}',
    },
    fr: {
      subject: "[#{{ticket.number}}] Votre avis nous intéresse",
      body: "Bonjour {{firstName}},\n\nVotre demande « {{ticket.subject}} » est résolue. Comment s'est passée notre aide ? Donnez votre avis ici : {{link}}\n\n{{tenant.name}}",
    },
  },
  DSR_RECEIPT: {
    en: {
      subject: "We received your privacy request",
      body: "Hello {{firstName}},\n\n{{tenant.name}} received your request ({{request.type}}). We will answer by {{request.dueAt}} at the latest.\n\n{{tenant.name}}",
    },
    nl: {
      subject: "We hebben uw privacyverzoek ontvangen",
      body: "Hallo {{firstName}},\n\n{{tenant.name}} heeft uw verzoek ({{request.type}}) ontvangen. We antwoorden uiterlijk op {{request.dueAt}}.\n\n{{tenant.name}}",
    },
    de: {
      subject: "Wir haben Ihre Datenschutzanfrage erhalten",
      body: "Hallo {{firstName}},\n\n{{tenant.name}} hat Ihre Anfrage ({{request.type}}) erhalten. Wir antworten spätestens am {{request.dueAt}}.\n\n{{tenant.name}}",
    },
    fr: {
      subject: "Nous avons bien reçu votre demande relative à vos données",
      body: "Bonjour {{firstName}},\n\n{{tenant.name}} a bien reçu votre demande ({{request.type}}). Nous y répondrons au plus tard le {{request.dueAt}}.\n\n{{tenant.name}}",
    },
  },
  DSR_COMPLETED: {
    en: {
      subject: "Your privacy request is {{request.status}}",
      body: "Hello {{firstName}},\n\nYour request ({{request.type}}) to {{tenant.name}} is {{request.status}}.\n\n{{tenant.name}}",
    },
    nl: {
      subject: "Uw privacyverzoek is afgehandeld ({{request.status}})",
      body: "Hallo {{firstName}},\n\nUw verzoek ({{request.type}}) aan {{tenant.name}} is afgehandeld: {{request.status}}.\n\n{{tenant.name}}",
    },
    de: {
      subject: "Ihre Datenschutzanfrage ist abgeschlossen ({{request.status}})",
      body: "Hallo {{firstName}},\n\nIhre Anfrage ({{request.type}}) an {{tenant.name}} ist abgeschlossen: {{request.status}}.\n\n{{tenant.name}}",
    },
    fr: {
      subject: "Votre demande relative à vos données est traitée ({{request.status}})",
      body: "Bonjour {{firstName}},\n\nVotre demande ({{request.type}}) auprès de {{tenant.name}} est traitée : {{request.status}}.\n\n{{tenant.name}}",
    },
  },
  DSR_VERIFICATION: {
    en: {
      subject: "Please confirm your privacy request",
      body: "Hello {{firstName}},\n\nA request ({{request.type}}) about your data was made to {{tenant.name}}. To confirm that it comes from you, open this link before {{expiresAt}}: {{link}}\n\nIf you did not ask for this, ignore this email: nothing will be done.\n\n{{tenant.name}}",
    },
    nl: {
      subject: "Bevestig uw privacyverzoek",
      body: "Hallo {{firstName}},\n\nEr is bij {{tenant.name}} een verzoek ({{request.type}}) over uw gegevens gedaan. Open deze link vóór {{expiresAt}} om te bevestigen dat het van u komt: {{link}}\n\nHeeft u hier niet om gevraagd, negeer deze e-mail dan: er gebeurt niets.\n\n{{tenant.name}}",
    },
    de: {
      subject: "Bitte bestätigen Sie Ihre Datenschutzanfrage",
      body: "Hallo {{firstName}},\n\nbei {{tenant.name}} wurde eine Anfrage ({{request.type}}) zu Ihren Daten gestellt. Öffnen Sie diesen Link vor {{expiresAt}}, um zu bestätigen, dass sie von Ihnen kommt: {{link}}\n\nWenn Sie das nicht waren, ignorieren Sie diese E-Mail: es geschieht nichts.\n\n{{tenant.name}}",
    },
    fr: {
      subject: "Veuillez confirmer votre demande relative à vos données",
      body: "Bonjour {{firstName}},\n\nUne demande ({{request.type}}) concernant vos données a été faite auprès de {{tenant.name}}. Pour confirmer qu'elle vient de vous, ouvrez ce lien avant le {{expiresAt}} : {{link}}\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : rien ne sera fait.\n\n{{tenant.name}}",
    },
  },
  MARKETING: {
    en: { subject: "{{message.subject}}", body: "{{message.body}}\n\n{{tenant.name}} · Unsubscribe: {{unsubscribeLink}}" },
    nl: { subject: "{{message.subject}}", body: "{{message.body}}\n\n{{tenant.name}} · Afmelden: {{unsubscribeLink}}" },
    de: { subject: "{{message.subject}}", body: "{{message.body}}\n\n{{tenant.name}} · Abmelden: {{unsubscribeLink}}" },
    fr: { subject: "{{message.subject}}", body: "{{message.body}}\n\n{{tenant.name}} · Se désabonner : {{unsubscribeLink}}" },
  },
};

export const builtIn = (kind: NotificationKind, locale: string): Wording | undefined => DEFAULTS[kind][locale as BuiltIn];
