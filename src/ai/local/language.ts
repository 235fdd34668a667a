import { createRequire } from "node:module";
import type { Scored } from "../contract.js";

type Tinyld = typeof import("tinyld");
const require = createRequire(import.meta.url);
let tinyld: Tinyld | undefined;
/** Loaded on first use: its language profiles take a second of CPU to load, which a server that never classifies need not pay. */
const detector = () => (tinyld ??= require("tinyld") as Tinyld);

/** The language of a text (tinyld, offline), with its confidence; null for too little text to tell. */
export function languageOf(text: string): Scored<string> | null {
  const sample = text.slice(0, 2000);
  if (sample.replace(/[^\p{L}]/gu, "").length < 12) return null;
  const [top] = detector().detectAll(sample);
  return top ? { value: top.lang, confidence: Math.min(1, Math.max(0, top.accuracy)) } : null;
}
