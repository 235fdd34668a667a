import { z } from "zod";
import { ConfigError } from "../config.js";

/** The environment as the server read it at start (Config.environment): set, non-empty variables only. */
export type Environment = Readonly<Record<string, string>>;

/**
 * A plugin's operator options: variables the operator sets for the whole
 * server (a cluster's region, the operator's own Stripe account), as opposed
 * to the settings each tenant saves. The plugin parses them itself, once at
 * start; the registry calls `parse` and a bad value stops the server like a
 * bad core setting does.
 */
export interface PluginOptions<O> {
  /** Every variable it reads: the settings table in docs/configuration.md and compose.yaml are checked against these. */
  variables: readonly string[];
  /** Throws ConfigError naming each bad variable. */
  parse(env: Environment): O;
}

/**
 * Options from a zod shape of environment variables, reported like the core's
 * settings (`NAME: message`). `resolve` turns the parsed variables into what
 * the plugin uses, and may throw ConfigError for rules across variables.
 */
export function envOptions<S extends z.ZodRawShape, O>(
  shape: S,
  resolve: (values: z.output<z.ZodObject<S>>, env: Environment) => O,
): PluginOptions<O> {
  const schema = z.object(shape);
  return {
    variables: Object.keys(shape),
    parse(env) {
      const parsed = schema.safeParse(Object.fromEntries(Object.keys(shape).flatMap((k) => (env[k] ? [[k, env[k]]] : []))));
      if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
      return resolve(parsed.data, env);
    },
  };
}
