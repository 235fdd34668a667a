/** EU member states plus Iceland, Liechtenstein and Norway (ISO 3166-1 alpha-2). */
export const EEA = new Set([
  "AT",
  "BE",
  "BG",
  "HR",
  "CY",
  "CZ",
  "DK",
  "EE",
  "FI",
  "FR",
  "DE",
  "GR",
  "HU",
  "IE",
  "IT",
  "LV",
  "LT",
  "LU",
  "MT",
  "NL",
  "PL",
  "PT",
  "RO",
  "SK",
  "SI",
  "ES",
  "SE",
  "IS",
  "LI",
  "NO",
]);

/**
 * Countries with an EU adequacy decision (art. 45). The United States is
 * adequate only for companies certified under the EU-US Data Privacy
 * Framework, which a manifest states through its transfer mechanism.
 */
export const ADEQUATE = new Set(["AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY", "US"]);

export const isEea = (country: string) => EEA.has(country);
