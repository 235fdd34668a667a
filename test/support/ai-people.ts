/**
 * Customers writing in five languages, each message full of identifiers:
 * their own name, email, phone and organisation as the database holds them,
 * written other ways, and identifiers only their shape gives away (IBANs,
 * card numbers, IP addresses, links with tokens, someone else's email and
 * phone number), a postal address and a person the database does not know.
 * `secrets` is every spelling that must never reach a model; `address` and
 * `stranger` are what the agent reads again in an answer that mentions them.
 */
export interface LanguageFixture {
  language: "en" | "de" | "fr" | "nl" | "es";
  person: { name: string; email: string; phone: string };
  organization: { name: string; domain: string };
  address: string;
  stranger: string;
  subject: string;
  body: string;
  reply: string;
  secrets: string[];
}

export const LANGUAGE_FIXTURES: LanguageFixture[] = [
  {
    language: "en",
    person: { name: "Olivia Bennett-Clarke", email: "olivia.bennett@harbour.example", phone: "+447911123456" },
    organization: { name: "Harbour Logistics Ltd", domain: "harbour.example" },
    subject: "Charged twice, Olivia Bennett-Clarke",
    body:
      "Hello, this is Olivia Bennett Clarke from Harbour Logistics. My email is OLIVIA.BENNETT@harbour.example and my mobile 07911 123456 " +
      "(or +44 7911 123456). Please refund to IBAN GB82 WEST 1234 5698 7654 32; the card 4111 1111 1111 1111 was charged twice. " +
      "I logged in from 203.0.113.45 and the reset link https://app.example.com/reset?token=9f8e7d6c5b4a never worked. " +
      "You can also ask finance.team@harbourlogistics.example or call +1 415 555 2671. Please send the corrected invoice to " +
      "221B Baker Street, London NW1 6XE. My colleague Peter Jansen handles our accounts; Jansen is in on Tuesdays. Thanks, Olivia",
    reply: "Hi Olivia, thanks for the details. We are looking into the double charge on your card.",
    address: "221B Baker Street, London NW1 6XE",
    stranger: "Peter Jansen",
    secrets: [
      "Baker Street",
      "NW1 6XE",
      "Peter",
      "Jansen",
      "Olivia",
      "Bennett",
      "Clarke",
      "olivia.bennett@harbour.example",
      "07911 123456",
      "+44 7911 123456",
      "7911123456",
      "GB82 WEST 1234 5698 7654 32",
      "GB82WEST12345698765432",
      "4111 1111 1111 1111",
      "4111111111111111",
      "203.0.113.45",
      "9f8e7d6c5b4a",
      "finance.team@harbourlogistics.example",
      "415 555 2671",
      "Harbour Logistics",
      "harbour.example",
    ],
  },
  {
    language: "de",
    person: { name: "Jürgen Müller", email: "juergen.mueller@schaefer-backwaren.example", phone: "+493012345678" },
    organization: { name: "Bäckerei Schäfer GmbH", domain: "schaefer-backwaren.example" },
    subject: "Doppelte Abbuchung bei Jürgen Müller",
    body:
      "Guten Tag, hier ist Jürgen Mueller von der Bäckerei Schäfer. Meine E-Mail: juergen.mueller@schaefer-backwaren.example, " +
      "Telefon 030 12345678 bzw. +49 30 12345678. Bitte erstatten Sie den Betrag auf DE89 3704 0044 0532 0130 00. " +
      "Meine Kreditkarte 5500 0055 5555 5559 wurde doppelt belastet. Der Link https://portal.example.de/login?session=abcdef123456 " +
      "funktioniert nicht, meine IP ist 198.51.100.7. Rückfragen gern an buchhaltung@schaefer-gruppe.example. Die Rechnung bitte an " +
      "Hauptstraße 12a, 10115 Berlin; Ansprechpartnerin ist Frau Anna Weber. Viele Grüße, J. MÜLLER",
    reply: "Hallo Herr Müller, wir prüfen die doppelte Abbuchung und melden uns.",
    address: "Hauptstraße 12a, 10115 Berlin",
    stranger: "Anna Weber",
    secrets: [
      "Hauptstraße",
      "10115",
      "Anna",
      "Weber",
      "Jürgen",
      "Juergen",
      "Müller",
      "Mueller",
      "MÜLLER",
      "juergen.mueller@schaefer-backwaren.example",
      "030 12345678",
      "+49 30 12345678",
      "3012345678",
      "DE89 3704 0044 0532 0130 00",
      "DE89370400440532013000",
      "5500 0055 5555 5559",
      "5500005555555559",
      "198.51.100.7",
      "abcdef123456",
      "buchhaltung@schaefer-gruppe.example",
      "Bäckerei Schäfer",
      "schaefer-backwaren.example",
    ],
  },
  {
    language: "fr",
    person: { name: "Éloïse Dubois-Lefèvre", email: "eloise.dubois@atelier-lumiere.example", phone: "+33612345678" },
    organization: { name: "Atelier Lumière SARL", domain: "atelier-lumiere.example" },
    subject: "Facture en double pour Éloïse Dubois-Lefèvre",
    body:
      "Bonjour, je suis Eloise Dubois Lefevre, de la société Atelier Lumière. Écrivez-moi à eloise.dubois@atelier-lumiere.example " +
      "ou appelez le 06 12 34 56 78 (+33 6 12 34 56 78). Mon IBAN : FR14 2004 1010 0505 0001 3M02 606. " +
      "Ma carte 4012 8888 8888 1881 a été débitée deux fois. Mon adresse IP est 2001:db8::1428:57ab. " +
      "Lien : https://factures.example.fr/voir?code=ZX81QW77. Ma comptable : compta@cabinet-martin.example. La facture doit partir au " +
      "12 rue de la Paix, 75002 Paris ; ma collègue Claire Moreau la recevra. Cordialement, Éloïse",
    reply: "Bonjour Éloïse, nous vérifions le double débit sur votre carte.",
    address: "12 rue de la Paix, 75002 Paris",
    stranger: "Claire Moreau",
    secrets: [
      "rue de la Paix",
      "75002",
      "Claire",
      "Moreau",
      "Éloïse",
      "Eloise",
      "Dubois",
      "Lefèvre",
      "Lefevre",
      "eloise.dubois@atelier-lumiere.example",
      "06 12 34 56 78",
      "+33 6 12 34 56 78",
      "612345678",
      "FR14 2004 1010 0505 0001 3M02 606",
      "FR1420041010050500013M02606",
      "4012 8888 8888 1881",
      "4012888888881881",
      "2001:db8::1428:57ab",
      "ZX81QW77",
      "compta@cabinet-martin.example",
      "Atelier Lumière",
      "atelier-lumiere.example",
    ],
  },
  {
    language: "nl",
    person: { name: "Daan van der Berg", email: "daan@demolen.example", phone: "+31612345670" },
    organization: { name: "Bakkerij De Molen B.V.", domain: "demolen.example" },
    subject: "Dubbele afschrijving, Daan van der Berg",
    body:
      "Hoi, met Daan van der Berg van Bakkerij De Molen. Mijn e-mail is Daan@DeMolen.example, telefoon 06-12345670 of 0031 6 12345670. " +
      "Stort het bedrag terug op NL91 ABNA 0417 1643 00. Mijn creditcard 3782 822463 10005 is twee keer belast. " +
      "Mijn IP-adres is 192.0.2.33 en de link https://mijn.example.nl/reset?token=aa11bb22cc33 werkt niet. " +
      "Mijn boekhouder: boekhouding@vandijk-advies.example, 020 123 4567. Stuur de factuur naar Keizersgracht 123, " +
      "1015 CJ Amsterdam; mijn collega Pieter Bakker regelt het. Groeten, Daan",
    reply: "Hoi Daan, we zoeken de dubbele afschrijving voor je uit.",
    address: "Keizersgracht 123, 1015 CJ Amsterdam",
    stranger: "Pieter Bakker",
    secrets: [
      "Keizersgracht",
      "1015 CJ",
      "Pieter",
      "Bakker",
      "Daan",
      "Berg",
      "daan@demolen.example",
      "06-12345670",
      "0031 6 12345670",
      "612345670",
      "NL91 ABNA 0417 1643 00",
      "NL91ABNA0417164300",
      "3782 822463 10005",
      "378282246310005",
      "192.0.2.33",
      "aa11bb22cc33",
      "boekhouding@vandijk-advies.example",
      "020 123 4567",
      "Bakkerij De Molen",
      "demolen.example",
    ],
  },
  {
    language: "es",
    person: { name: "María José García Núñez", email: "mjgarcia@frutasdelsur.example", phone: "+34612345678" },
    organization: { name: "Frutas del Sur S.L.", domain: "frutasdelsur.example" },
    subject: "Cobro duplicado de María José García",
    body:
      "Hola, soy María José García Nuñez, de Frutas del Sur. Mi correo es MJGarcia@frutasdelsur.example y mi teléfono 612 345 678 " +
      "(+34 612 345 678). Devuélvanme el importe a ES91 2100 0418 4502 0005 1332. Me cobraron dos veces en la tarjeta 6011 1111 1111 1117. " +
      "Mi IP es 203.0.113.200 y el enlace https://tienda.example.es/pedido?auth=Q1W2E3R4T5 no funciona. " +
      "Mi gestor: gestoria@lopez-asesores.example. Envíen la factura a Calle Mayor 5, 3º izq., 28013 Madrid, " +
      "a la atención del Sr. Javier Ortega. Saludos, María",
    reply: "Hola María, estamos revisando el cobro duplicado en su tarjeta.",
    address: "Calle Mayor 5, 3º izq., 28013 Madrid",
    stranger: "Javier Ortega",
    secrets: [
      "Calle Mayor",
      "28013",
      "Javier",
      "Ortega",
      "María",
      "Maria",
      "José",
      "García",
      "Núñez",
      "Nuñez",
      "mjgarcia@frutasdelsur.example",
      "612 345 678",
      "+34 612 345 678",
      "612345678",
      "ES91 2100 0418 4502 0005 1332",
      "ES9121000418450200051332",
      "6011 1111 1111 1117",
      "6011111111111117",
      "203.0.113.200",
      "Q1W2E3R4T5",
      "gestoria@lopez-asesores.example",
      "Frutas del Sur",
      "frutasdelsur.example",
    ],
  },
];
