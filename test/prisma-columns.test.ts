import { isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../src/graphql/schema.js";
import { exposedColumn, fromRowWhenLoaded } from "../src/graphql/prisma-columns-pothos.js";

const extensionsOf = (type: string, field: string) => {
  const t = schema.getType(type);
  if (!isObjectType(t)) throw new Error(`${type} is not an object type`);
  const f = t.getFields()[field];
  if (!f) throw new Error(`${type}.${field} is missing`);
  return f.extensions as Record<string, unknown>;
};

describe("fields that expose a column", () => {
  // Read off the built schema: if the Prisma plugin stops marking exposed columns the way
  // exposedColumn reads them, the shortcut silently stops applying, and this says so.
  it("are recognised on the tickets page's types, and nothing else is", () => {
    const columns = [
      "Ticket.subject",
      "Ticket.status",
      "Ticket.priority",
      "Ticket.number",
      "Contact.name",
      "Contact.email",
      "Agent.name",
      "Tag.name",
      "Message.body",
    ];
    for (const column of columns) {
      const [type, field] = column.split(".") as [string, string];
      expect(exposedColumn(extensionsOf(type, field)), column).toBe(field);
    }
    // Relations and fields with a selection of their own need the plan of the query that loaded their row.
    for (const other of [
      "Ticket.requester",
      "Ticket.assignee",
      "Ticket.tags",
      "Ticket.lastMessage",
      "Message.redacted",
      "Message.authorAgent",
    ]) {
      const [type, field] = other.split(".") as [string, string];
      expect(exposedColumn(extensionsOf(type, field)), other).toBeNull();
    }
  });

  it("are read from the row when it holds the column (NULL too), and loaded by the plugin when it does not", () => {
    const calls: string[] = [];
    const direct = (parent: Record<string, unknown>) => {
      calls.push("direct");
      return parent.subject;
    };
    const planned = () => {
      calls.push("planned");
      return "loaded";
    };
    const resolve = fromRowWhenLoaded("subject", direct as never, planned as never) as (p: unknown) => unknown;
    expect(resolve({ id: "t1", subject: "Refund" })).toBe("Refund");
    expect(resolve({ id: "t2", subject: null })).toBeNull();
    expect(resolve({ id: "t3" })).toBe("loaded");
    expect(calls).toEqual(["direct", "direct", "planned"]);
  });
});
