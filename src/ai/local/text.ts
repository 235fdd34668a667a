import stem from "wink-porter2-stemmer";

/**
 * Words for the local models: lower case, letters only (placeholders and
 * numbers say nothing about a ticket's topic), the commonest words of the five
 * supported languages left out, and stemmed (Porter2: "invoices" and
 * "invoice" are one word; it leaves most non-English words as they are).
 */

const STOP_WORDS = new Set(
  // en
  (
    "a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its me my no not of on or our " +
    "please so that the their them then there these they this to us was we were what when which who will with would you your hello hi thanks thank regards dear " +
    // de
    "aber alle als am an auch auf aus bei bin bis bitte da dann das dass dem den der des die doch du ein eine einen einem einer es für hallo hat " +
    "habe haben ich ihr ihre im in ist ja kann können mein meine mit nach nicht noch nur oder sehr sie sind so um und uns von vor war was wenn wie wir zu zum zur danke grüße " +
    // fr
    "au aux avec bonjour ce ces cette dans de des du elle en est et il je la le les leur ma mais me merci mes mon ne nous on ou par pas pour qu que qui sa se " +
    "ses son sont sur ta te tes ton tu un une vos votre vous cordialement " +
    // nl
    "aan al als bij dag dan dat de deze die dit door een en er geen had heb heeft het hij hoe ik in is je kan maar me met mijn na naar niet nog of om ook op " +
    "te tot u uw van voor was wat we wij zijn zo bedankt groeten " +
    // es
    "al como con de del el ella en es esta este gracias hola la las le lo los me mi mis muy no nos o para pero por que se si sin su sus te tu un una y ya saludos"
  ).split(" "),
);

const WORD = /\p{L}{2,}/gu;

/** The stemmed content words of a text, in order, at most `max` of them. */
export function terms(text: string, max = 2000): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(WORD)) {
    const w = m[0];
    if (w.length > 30 || STOP_WORDS.has(w)) continue;
    out.push(stem(w));
    if (out.length >= max) break;
  }
  return out;
}

const segmenters = new Map<string, Intl.Segmenter>();

/** The sentences of a text (Intl.Segmenter, which knows the rules of many languages), trimmed, empty ones left out. */
export function sentences(text: string, locale = "en"): string[] {
  let segmenter = segmenters.get(locale);
  if (!segmenter) {
    segmenter = new Intl.Segmenter(locale, { granularity: "sentence" });
    segmenters.set(locale, segmenter);
  }
  return [...segmenter.segment(text)].map((s) => s.segment.trim()).filter((s) => /\p{L}/u.test(s));
}
