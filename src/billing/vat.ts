import { checkVAT, countries } from "jsvat";
import type { FieldProblem } from "../errors.js";

/** EU member states by ISO code, with the prefix their VAT numbers use (Greece: EL). */
const EU_VAT_PREFIX: Record<string, string> = Object.fromEntries(
  [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
  ]
    .map((c) => [c, c])
    .concat([["GR", "EL"]]),
);

/**
 * Checks an EU VAT number's format for its country with jsvat (per-country
 * rules, maintained), not its registration (that needs VIES, a network call
 * Stripe makes itself when tax ids are verified). Returns the number
 * normalised (no spaces or dots, upper case, country prefix), or a problem.
 */
export function checkVatNumber(raw: string, country: string, path: (string | number)[]): { value: string } | { problem: FieldProblem } {
  const prefix = EU_VAT_PREFIX[country.toUpperCase()];
  if (!prefix) return { problem: { path, message: `only EU VAT numbers are collected; the address is in ${country}` } };
  let value = raw.replace(/[\s.-]/g, "").toUpperCase();
  if (!/^[A-Z]{2}/.test(value)) value = prefix + value;
  if (!value.startsWith(prefix)) return { problem: { path, message: `must be a VAT number of the address's country (${prefix}…)` } };
  const result = checkVAT(value, countries);
  if (!result.isSupportedCountry || !result.isValidFormat)
    return { problem: { path, message: `is not a valid ${prefix} VAT number format` } };
  return { value };
}
