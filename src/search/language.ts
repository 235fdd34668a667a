/**
 * A tenant's locale → PostgreSQL text-search configuration: stemming ("factures"
 * finds "facture") and stop words. Mirrors deskgraph_search_config() in
 * migration 0007_search, which the triggers use to build the stored vectors;
 * the query must use the same one (a test checks that both agree).
 */
const CONFIGS: Record<string, string> = { en: "english", fr: "french", de: "german", sv: "swedish", nl: "dutch" };

/** "fr", "fr-CA", "de_DE" → french, german…; anything else → simple (lower case, no stemming). */
export function searchLanguage(locale: string | null | undefined): string {
  const primary = (locale ?? "").split("-")[0]!.split("_")[0]!.toLowerCase();
  return CONFIGS[primary] ?? "simple";
}
