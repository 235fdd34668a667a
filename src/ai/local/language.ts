import { detectAll } from "tinyld";
import type { Scored } from "../contract.js";

/** The language of a text (tinyld, offline), with its confidence; null for too little text to tell. */
export function languageOf(text: string): Scored<string> | null {
  const sample = text.slice(0, 2000);
  if (sample.replace(/[^\p{L}]/gu, "").length < 12) return null;
  const [top] = detectAll(sample);
  return top ? { value: top.lang, confidence: Math.min(1, Math.max(0, top.accuracy)) } : null;
}
