/**
 * The words around names in the five supported languages (en, de, fr, nl,
 * es), folded (lower case, no accents, see fold.ts): what comes before a name
 * (titles, introductions, salutations, closings, relations) and the
 * capitalised words that are never a name on their own.
 */

/** A regular expression's alternatives, the longest first: "thanks again" before "thanks" (a "|" inside parentheses stays). */
const alternatives = (words: string) =>
  words
    .trim()
    .split(/\s*\|\s*(?![^(]*\))/)
    .sort((a, b) => b.length - a.length)
    .join("|");

/** Titles before a name. `CAPITALISED_TITLES` count only when written with a capital ("Dr Smith", not "dr"). */
export const TITLES = alternatives(`
  mr | mrs | ms | mx | miss | dr | prof | sir | herr | frau | mme | mlle | madame | monsieur | m |
  meneer | mevrouw | mevr | dhr | sr | sra | srta | don | dona | senor | senora | senorita`);
export const CAPITALISED_TITLES = new Set([
  "mr",
  "mrs",
  "ms",
  "mx",
  "miss",
  "dr",
  "prof",
  "sir",
  "herr",
  "frau",
  "mme",
  "mlle",
  "madame",
  "monsieur",
  "m",
]);

/** "my name is X", "ich heiße X"… ("met X" on a Dutch phone line and "ici X" are left out: too often something else). */
export const INTRODUCTIONS = alternatives(`
  my name is | my name's | i am | i'm | i’m | this is |
  ich heisse | ich heiße | ich bin | mein name ist | hier ist | hier spricht |
  je m'appelle | je m’appelle | je suis | mon nom est |
  mijn naam is | ik ben | ik heet |
  me llamo | soy | mi nombre es`);

/** Greetings that open a letter: a name right after them, at the start of a line. */
export const SALUTATIONS = alternatives(`
  dear | hi | hello | hey | good morning | good afternoon | good evening |
  hallo | liebe | lieber | liebes | sehr geehrte | sehr geehrter | guten tag | guten morgen | moin | servus |
  bonjour | bonsoir | salut | cher | chere |
  beste | geachte | hoi | dag | goedemorgen | goedemiddag |
  hola | buenos dias | buenas tardes | estimado | estimada | querido | querida`);

/** Closings: the signature follows on the same line or the next one. */
export const CLOSINGS = alternatives(`
  regards | best regards | kind regards | warm regards | warmest regards | best wishes | best | thanks | thank you | many thanks |
  thanks again | cheers | sincerely | yours sincerely | yours faithfully | yours truly |
  mit freundlichen gru(?:e?(?:ss|ß))en | freundliche gru(?:e?(?:ss|ß))e | viele gru(?:e?(?:ss|ß))e | beste gru(?:e?(?:ss|ß))e |
  liebe gru(?:e?(?:ss|ß))e | herzliche gru(?:e?(?:ss|ß))e | gru(?:e?(?:ss|ß)) | gru(?:e?(?:ss|ß))e | lg | mfg | vg | danke | vielen dank |
  cordialement | bien cordialement | bien a vous | salutations | merci | merci beaucoup | amicalement |
  met vriendelijke groet(?:en)? | vriendelijke groet(?:en)? | hartelijke groet(?:en)? | groet(?:en|jes)? | mvg | bedankt | dank je wel |
  saludos | saludos cordiales | un saludo | atentamente | gracias | muchas gracias | un abrazo`);

/** "my colleague X", "meine Kollegin X", "ma collègue X", "mijn collega X", "mi compañera X". */
export const RELATIONS = [
  `(?:my|our) (?:colleague|co-?worker|manager|boss|supervisor|wife|husband|partner|son|daughter|brother|sister|mother|father|mom|mum|dad|friend|neighbou?r|assistant|accountant|lawyer)`,
  `(?:mein|meine|meinem|meinen|meiner|unser|unsere|unserem|unseren|unserer) (?:kollege|kollegin|kollegen|chef|chefin|vorgesetzter|vorgesetzten|vorgesetzte|frau|mann|ehemann|ehefrau|partner|partnerin|sohn|tochter|bruder|schwester|mutter|vater|freund|freundin|nachbar|nachbarin|assistent|assistentin|buchhalter|buchhalterin|anwalt|anwaltin)`,
  `(?:mon|ma|notre) (?:collegue|responsable|manager|chef|cheffe|femme|mari|epoux|epouse|conjoint|conjointe|fils|fille|frere|soeur|sœur|mere|pere|ami|amie|voisin|voisine|assistant|assistante|comptable|avocat|avocate)`,
  `(?:mijn|onze|ons) (?:collega|leidinggevende|manager|baas|chef|vrouw|man|echtgenoot|echtgenote|partner|zoon|dochter|broer|zus|moeder|vader|vriend|vriendin|buurman|buurvrouw|assistent|boekhouder|advocaat)`,
  `(?:mi|nuestro|nuestra) (?:companero|companera|colega|jefe|jefa|gerente|esposa|esposo|marido|mujer|pareja|hijo|hija|hermano|hermana|madre|padre|amigo|amiga|vecino|vecina|asistente|contable|abogado|abogada)`,
].join("|");

/** Name particles: lower-case words inside a name ("Daan van der Berg", "Juan de la Cruz"). */
export const PARTICLES = "van|von|der|den|de|del|della|di|da|du|des|la|le|ter|ten|zu|dos|das|y";

/**
 * Capitalised words that are not names: a name ends before one ("Hi Peter
 * Thanks for…") and a cue followed by one finds nothing ("Dear Support
 * Team", "Ich bin Kunde"). Days, months, greetings, titles, words for groups
 * and roles, and product names a support desk sees every day.
 */
const NOT_NAMES = `
  monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october november december
  montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar marz maerz juni juli oktober dezember
  lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
  maandag dinsdag woensdag donderdag vrijdag zaterdag zondag januari februari maart augustus
  lunes martes miercoles jueves viernes sabado domingo enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
  the this that these those there then thanks thank please sorry hello hi dear all everyone everybody team support service services sales billing
  customer customers client clients user users admin administrator staff department office manager management folks guys friends there sir madam
  madame monsieur mesdames messieurs mr mrs ms miss dr prof herr frau damen herren mme mlle meneer mevrouw dhr mevr sr sra srta don dona senor senora
  i we you he she they it my our your his her their me us
  ich wir sie er es du ihr mein meine unser unsere bitte danke vielen dank hallo gruss grusse gruße gruß grussen grußen gruesse zusammen leute
  kunde kundin kunden kundenservice neukunde bestandskunde mitglied inhaber inhaberin geschaftsfuhrer geschaftsfuhrerin nutzer nutzerin benutzer
  benutzerin anwender anwenderin mitarbeiter mitarbeiterin student studentin rentner rentnerin kollege kollegin leiter leiterin chef chefin abonnent
  abonnentin besitzer besitzerin eigentumer vertreter ansprechpartner teil seit neu hier
  je nous vous il elle merci bonjour salut tous equipe service cordialement
  ik wij jij u hij zij bedankt groeten groet allemaal iedereen klant klanten
  yo nosotros usted ella gracias hola todos equipo saludos cliente
  windows mac macos ios ipados android iphone ipad linux ubuntu chrome chromium firefox safari edge opera outlook gmail excel word powerpoint office
  teams zoom slack google microsoft apple amazon paypal stripe visa mastercard sepa pdf api sso vpn wifi bluetooth android usb html css json csv
  version update release error bug issue ticket order invoice account login password email mail phone app web
  regards best kind warm cheers sincerely yours faithfully truly wishes hey good morning afternoon evening
  viele beste liebe lieber liebes herzliche freundliche freundlichen lg mfg vg moin servus geehrte geehrter
  amicalement salutations bonsoir cher chere bien
  groetjes hartelijke vriendelijke mvg geachte hoi goedemorgen goedemiddag
  atentamente abrazo estimado estimada querido querida buenos buenas
  owner director ceo cto cfo head lead department it hr finance accounting purchasing procurement
  abteilung buchhaltung einkauf vertrieb geschaftsleitung
  responsable directeur directrice gerant gerante client cliente administrateur administratrice proprietaire comptabilite achats direction
  beheerder eigenaar directeur afdeling inkoop boekhouding administratie
  director directora propietario propietaria administrador administradora departamento compras ventas contabilidad administracion gerencia
`;
export const NOT_A_NAME = new Set(NOT_NAMES.trim().split(/\s+/));
