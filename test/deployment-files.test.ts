// The Dockerfile and compose.yaml are checked here without Docker: CI has none,
// and neither does this machine's network reach an image registry. What is
// checked is what silently rots when the code moves on: scripts, entry points,
// settings and files the deployment names.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig, SETTING_NAMES } from "../src/config.js";
import { shippedPlugins } from "../plugins/index.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const packageJson = JSON.parse(read("package.json")) as { scripts: Record<string, string> };

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  name: string | null;
  base: string;
  instructions: Instruction[];
}

/** The Dockerfile's instructions by stage, continuation lines joined, comments dropped. */
function dockerfileStages(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!.trim();
    if (!line || line.startsWith("#")) continue;
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const [, keyword = "", args = ""] = /^(\w+)\s+(.*)$/s.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: args.trim(), line: start };
    if (instruction.keyword === "FROM") {
      const [, base = "", name = null] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(instruction.args) ?? [];
      stages.push({ name, base, instructions: [] });
    } else if (instruction.keyword !== "ARG" || stages.length) {
      if (!stages.length) throw new Error(`Dockerfile line ${start}: ${instruction.keyword} before the first FROM`);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** An exec-form (JSON array) or shell-form command as words. */
const words = (args: string): string[] => (args.startsWith("[") ? (JSON.parse(args) as string[]) : args.split(/\s+/));

/** Variables the server and the shipped plugins read: the only ones a deployment may set for Deskgraph. */
async function knownSettings(): Promise<Set<string>> {
  return new Set<string>([...SETTING_NAMES, ...shippedPlugins.flatMap((p) => p.options?.variables ?? [])]);
}

describe("Dockerfile", () => {
  const stages = dockerfileStages(read("Dockerfile"));
  const runtime = stages.at(-1)!;
  const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

  it("builds in one stage and runs from a slimmer one", () => {
    expect(stages.length, "stages (FROM … AS …)").toBeGreaterThanOrEqual(2);
    const buildStage = stages.find((s) => all(s, "RUN").some((r) => r.args.includes("npm run build")));
    expect(buildStage, "a stage that runs `npm run build`").toBeDefined();
    expect(buildStage, "the build stage must not be the one that runs").not.toBe(runtime);
    expect(packageJson.scripts.build, "package.json has a build script").toBeTruthy();
    expect(
      all(runtime, "COPY").some((c) => c.args.includes(`--from=${buildStage!.name}`) && c.args.includes("dist")),
      "runtime copies dist/ from the build stage",
    ).toBe(true);
  });

  it("runs as a user that is not root, in production mode", () => {
    const users = all(runtime, "USER");
    expect(users.length, "USER in the final stage").toBeGreaterThan(0);
    expect(["root", "0", "0:0"]).not.toContain(users.at(-1)!.args.split(":")[0]);
    expect(
      all(runtime, "ENV")
        .map((e) => e.args)
        .join(" "),
    ).toMatch(/\bNODE_ENV=production\b/);
  });

  it("starts the same compiled entry point as `npm start`, listening beyond localhost", () => {
    const cmd = words(all(runtime, "CMD").at(-1)!.args);
    const start = packageJson.scripts.start!.split(/\s+/);
    // npm start: node [flags] <entry> <command>; the image runs node directly, so signals reach it.
    expect(cmd[0]).toBe("node");
    expect(cmd.filter((w) => !w.startsWith("-"))).toEqual(start.filter((w) => !w.startsWith("-")));
    const env = all(runtime, "ENV")
      .map((e) => e.args)
      .join(" ");
    expect(env, "HOST=0.0.0.0: the default 127.0.0.1 is unreachable from outside a container").toMatch(/\bHOST=0\.0\.0\.0\b/);
  });

  it("checks its health on /ready or /health and keeps DATA_DIR in a volume", () => {
    const healthcheck = all(runtime, "HEALTHCHECK");
    expect(healthcheck.length, "HEALTHCHECK in the final stage").toBe(1);
    expect(healthcheck[0]!.args).toMatch(/\/(ready|health)\b/);
    const dataDir = /\bDATA_DIR=(\S+)/.exec(
      all(runtime, "ENV")
        .map((e) => e.args)
        .join(" "),
    )?.[1];
    expect(dataDir, "ENV DATA_DIR in the final stage").toBeTruthy();
    expect(all(runtime, "VOLUME").flatMap((v) => words(v.args))).toContain(dataDir);
  });

  it("copies only files that exist and that .dockerignore lets through", () => {
    const ignored = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    for (const copy of stages.flatMap((s) => all(s, "COPY")).filter((c) => !c.args.includes("--from="))) {
      const sources = words(copy.args)
        .filter((w) => !w.startsWith("--"))
        .slice(0, -1);
      for (const source of sources) {
        expect(existsSync(path.join(ROOT, source)), `Dockerfile line ${copy.line}: COPY ${source} does not exist`).toBe(true);
        expect(ignored, `Dockerfile line ${copy.line}: ${source} is excluded by .dockerignore`).not.toContain(source.replace(/\/$/, ""));
      }
    }
    // What must never reach an image: installed modules of this machine, local data, secrets.
    for (const entry of ["node_modules", "dist", "data", "deskgraph.env"]) expect(ignored, `.dockerignore lists ${entry}`).toContain(entry);
  });
});

describe("compose.yaml", () => {
  const compose = parse(read("compose.yaml"), { merge: true }) as {
    services: Record<
      string,
      {
        build?: unknown;
        environment?: Record<string, string>;
        env_file?: { path: string }[];
        depends_on?: Record<string, unknown>;
        ports?: string[];
        networks?: unknown;
      }
    >;
  };
  const services = compose.services;
  const deskgraph = Object.entries(services).filter(([, s]) => s.build !== undefined);

  it("runs two Deskgraph instances beside PostgreSQL, Redis and Elasticsearch", () => {
    expect(deskgraph.map(([name]) => name)).toHaveLength(2);
    for (const name of ["postgres", "redis", "elasticsearch"]) expect(Object.keys(services), `service ${name}`).toContain(name);
    for (const [name, service] of deskgraph) {
      for (const needed of Object.keys(service.depends_on ?? {}))
        expect(Object.keys(services), `${name} depends on ${needed}`).toContain(needed);
    }
    const hostPorts = deskgraph.flatMap(([, s]) => s.ports ?? []).map((p) => String(p).split(":")[0]);
    expect(new Set(hostPorts).size, "each instance has a host port of its own").toBe(hostPorts.length);
  });

  it("sets only variables the server or a plugin reads", async () => {
    const known = await knownSettings();
    const example = read("deskgraph.env.example")
      .split("\n")
      .filter((l) => /^\w+=/.test(l))
      .map((l) => l.split("=")[0]!);
    for (const [name, service] of deskgraph) {
      for (const variable of Object.keys(service.environment ?? {})) {
        expect(known.has(variable), `${name} sets ${variable}, which neither src/config.ts nor a plugin manifest reads`).toBe(true);
      }
    }
    for (const variable of example) expect(known.has(variable), `deskgraph.env.example sets ${variable}, which nothing reads`).toBe(true);
  });

  it("wires the database, Redis and the encryption key, and passes the server's own validation", () => {
    for (const [name, service] of deskgraph) {
      const env = service.environment ?? {};
      expect(new URL(env.DATABASE_URL!).hostname, `${name}: DATABASE_URL names the postgres service`).toBe("postgres");
      expect(new URL(env.REDIS_URL!).hostname, `${name}: REDIS_URL names the redis service`).toBe("redis");
      // The secret comes from the env file, never from compose.yaml itself.
      expect(env.ENCRYPTION_KEY, `${name}: ENCRYPTION_KEY belongs in the env file`).toBeUndefined();
      expect(service.env_file?.map((f) => f.path)).toContain("deskgraph.env");
      // `${VAR:-default}` is compose interpolation: check the default.
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/^\$\{\w+:-(.*)\}$/, "$1")]));
      expect(() => loadConfig({ ...resolved, ENCRYPTION_KEY: randomBytes(32).toString("base64") })).not.toThrow();
    }
    expect(read("deskgraph.env.example")).toMatch(/^ENCRYPTION_KEY=/m);
  });

  it("lets the instances call Elasticsearch and no other private address", () => {
    const es = services.elasticsearch as { networks?: Record<string, { ipv4_address?: string }> };
    const addresses = Object.values(es.networks ?? {}).flatMap((n) => (n?.ipv4_address ? [n.ipv4_address] : []));
    for (const [name, service] of deskgraph) {
      const allowed = (service.environment?.OUTBOUND_ALLOW_PRIVATE ?? "").split(",").map((a) => a.trim());
      expect(allowed, `${name}: OUTBOUND_ALLOW_PRIVATE is Elasticsearch's fixed address alone`).toEqual(addresses.map((a) => `${a}/32`));
    }
  });

  it("seeds the demo tenant from one instance only (two at once would race)", () => {
    const seeding = deskgraph.filter(([, s]) => !/^(false|0|no)$/.test(String(s.environment?.SEED_DEMO ?? "true")));
    expect(seeding.map(([name]) => name)).toHaveLength(1);
  });
});
