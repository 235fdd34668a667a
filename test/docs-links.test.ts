// Every relative link in the README, docs/, CONTRIBUTING and the plugin READMEs
// points at a file that exists and, with a #fragment, at a heading of that file.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

const pages = [
  "README.md",
  "CONTRIBUTING.md",
  "CHANGELOG.md",
  "plugins/README.md",
  ...readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`),
  ...readdirSync(path.join(ROOT, "plugins"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(ROOT, "plugins", d.name, "README.md")))
    .map((d) => `plugins/${d.name}/README.md`),
].filter((p) => existsSync(path.join(ROOT, p)));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\- _]/gu, "")
    .replace(/ /g, "-");

function anchorsIn(file: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (heading) anchors.add(anchorOf(heading[1]!));
  }
  return anchors;
}

describe("docs/architecture.md", () => {
  it("places every folder of src/ in its layout", () => {
    const layout = readFileSync(path.join(ROOT, "docs/architecture.md"), "utf8");
    const folders = readdirSync(path.join(ROOT, "src"), { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(folders.length).toBeGreaterThan(10);
    expect(folders.map((d) => d.name).filter((name) => !layout.includes(`${name}/`))).toEqual([]);
  });
});

describe("documentation links", () => {
  it("resolve to files and headings that exist", () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(path.join(ROOT, page), "utf8").replace(/```[\s\S]*?```/g, "");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto:
        const [file, fragment] = target!.split("#");
        const resolved = file ? path.resolve(path.dirname(path.join(ROOT, page)), file) : path.join(ROOT, page);
        if (!existsSync(resolved)) broken.push(`${page}: ${target} (no such file)`);
        else if (fragment && resolved.endsWith(".md") && !anchorsIn(resolved).has(fragment))
          broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    expect(pages.length).toBeGreaterThan(5);
    expect(broken).toEqual([]);
  });
});
