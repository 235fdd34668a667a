import { describe, expect, it } from "vitest";
import { fillPlaceholders, typedAsValues, withPlaceholders } from "../src/db/write-shape.js";

const request = (modelName: string, action: string, args: Record<string, unknown>) => ({
  modelName,
  action,
  query: { arguments: args, selection: { $scalars: true } },
});

describe("a write's shape", () => {
  it("takes out texts and Json values, and keeps booleans and nulls", () => {
    const { shape, values, types } = withPlaceholders(
      request("Event", "createMany", {
        data: [
          { tenantId: "t-1", type: "TICKET_UPDATED", ticketId: "x", internal: false, messageId: null, data: { changed: ["subject"] } },
        ],
      }),
    );
    // An event's type is text in its table (not an enum), so it is a value too.
    expect(values).toEqual(["t-1", "TICKET_UPDATED", "x", '{"changed":["subject"]}']);
    expect(types).toBe("s,s,s,j");
    // The argument `data` is not Event's Json field of that name; the field inside the row is.
    const row = JSON.parse(shape).query.arguments.data[0];
    expect(row).toMatchObject({ internal: false, messageId: null });
    expect(row.data).toEqual({ $type: "Param", value: "deskgraph$3" });
    expect(shape).not.toContain("subject");
  });

  it("gives equal values one placeholder, and follows relations to their model's fields", () => {
    const { shape, values, types } = withPlaceholders(
      request("Ticket", "updateOne", {
        where: { id: "a", tenantId: "t" },
        data: { subject: "a", priority: "HIGH", updatedAt: { $type: "DateTime", value: "2026-12-05T00:00:00.000Z" } },
      }),
    );
    expect(values).toEqual(["a", "t", "2026-12-05T00:00:00.000Z"]);
    expect(types).toBe("s,s,d");
    const { where, data } = JSON.parse(shape).query.arguments;
    expect(where.id).toEqual(data.subject);
    expect(data.priority).toBe("HIGH");
    const nested = withPlaceholders(
      request("Contact", "updateMany", { where: { requestedTickets: { some: { status: "OPEN" } } }, data: { name: "N" } }),
    );
    expect(JSON.parse(nested.shape).query.arguments.where.requestedTickets.some.status).toBe("OPEN");
  });

  it("writes numbers as the compiler does, and leaves those it writes otherwise in the shape", () => {
    const { values, types, shape } = withPlaceholders(
      request("WebhookDelivery", "updateMany", { where: { attempts: 3 }, data: { statusCode: 2 ** 40, score: 1e21 } }),
    );
    expect(values).toEqual(["3", String(2 ** 40)]);
    expect(types).toBe("i,I");
    expect(shape).toContain("1e+21");
  });

  it("takes out tagged values too: a file's bytes are never part of a shape", () => {
    const content = Buffer.from("a private letter").toString("base64");
    const { shape, values, types } = withPlaceholders(
      request("Attachment", "updateOne", { where: { id: "a" }, data: { content: { $type: "Bytes", value: content } } }),
    );
    expect(values).toEqual(["a", content]);
    expect(types).toBe("s,y");
    expect(shape).not.toContain(content);
    // A Json value that looks tagged is still one value.
    const json = withPlaceholders(request("Event", "createOne", { data: { type: "X", data: { $type: "Secret", value: "kept out" } } }));
    expect(json.shape).not.toContain("kept out");
    expect(json.types).toBe("s,j");
  });
});

describe("a plan filled in", () => {
  const plan = Object.freeze({
    type: "query",
    args: Object.freeze({
      args: Object.freeze([
        { prisma__type: "param", prisma__value: { name: "deskgraph$0" } },
        { prisma__type: "param", prisma__value: { name: "@generated$row0$id" } },
        "kept",
      ]),
      argTypes: Object.freeze([{ scalarType: "int" }, { scalarType: "string" }, { scalarType: "string" }]),
    }),
    structure: Object.freeze({ fields: [] }),
  });

  it("gets each value where its placeholder was, the compiler's own placeholders left alone, the plan unchanged", () => {
    const filled = fillPlaceholders(plan, ["7"]) as typeof plan;
    expect(filled.args.args).toEqual(["7", { prisma__type: "param", prisma__value: { name: "@generated$row0$id" } }, "kept"]);
    expect(filled.structure).toBe(plan.structure);
    expect(plan.args.args[0]).toEqual({ prisma__type: "param", prisma__value: { name: "deskgraph$0" } });
  });

  it("types an integer's placeholder as the compiler types an integer written in the request", () => {
    const typed = typedAsValues(plan, ["i"]) as typeof plan;
    expect(typed.args.argTypes.map((t) => t.scalarType)).toEqual(["bigint", "string", "string"]);
    expect((typedAsValues(plan, ["s"]) as typeof plan).args.argTypes[0]!.scalarType).toBe("int");
  });
});
