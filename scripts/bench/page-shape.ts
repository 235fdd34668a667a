// bench:compare checks, before loading them, that every system serves the same
// tickets page from the same data: each answer is reduced to what they must
// agree on (global IDs differ between Deskgraph and PostGraphile; tag order too).

export interface PageRow {
  number: number;
  subject: string;
  status: string;
  priority: string;
  requester: { name: string; email: string | null };
  assignee: string | null;
  /** Sorted by name. */
  tags: string[];
  lastMessage: string | null;
}

export interface Page {
  totalCount: number;
  rows: PageRow[];
}

type Node = Omit<PageRow, "assignee" | "tags" | "lastMessage"> & { assignee: { name: string } | null };

/** The data of an answer to TICKETS_PAGE (from Deskgraph, or from the raw server, which mimics it). */
export interface DeskgraphPageData {
  tickets: { totalCount: number; edges: { node: Node & { tags: { name: string }[]; lastMessage: { body: string } | null } }[] };
}

export function deskgraphPage(data: DeskgraphPageData): Page {
  return {
    totalCount: data.tickets.totalCount,
    rows: data.tickets.edges.map(({ node: n }) => ({
      ...row(n),
      tags: n.tags.map((t) => t.name).sort(),
      lastMessage: n.lastMessage?.body ?? null,
    })),
  };
}

/** The answer to POSTGRAPHILE_TICKETS_PAGE. */
export function postgraphilePage(data: {
  tickets: {
    totalCount: number;
    edges: { node: Node & { tags: { nodes: { tagByTagId: { name: string } }[] }; lastMessage: { nodes: { body: string }[] } } }[];
  };
}): Page {
  return {
    totalCount: data.tickets.totalCount,
    rows: data.tickets.edges.map(({ node: n }) => ({
      ...row(n),
      tags: n.tags.nodes.map((t) => t.tagByTagId.name).sort(),
      lastMessage: n.lastMessage.nodes[0]?.body ?? null,
    })),
  };
}

function row(n: Node): Omit<PageRow, "tags" | "lastMessage"> {
  const { number, subject, status, priority, requester, assignee } = n;
  return {
    number,
    subject,
    status,
    priority,
    requester: { name: requester.name, email: requester.email },
    assignee: assignee?.name ?? null,
  };
}

/** Where two pages first differ, or null when they agree. */
export function pageDifference(a: Page, b: Page): string | null {
  if (a.totalCount !== b.totalCount) return `totalCount ${a.totalCount} ≠ ${b.totalCount}`;
  if (a.rows.length !== b.rows.length) return `${a.rows.length} ≠ ${b.rows.length} tickets`;
  for (let i = 0; i < a.rows.length; i++) {
    const [x, y] = [JSON.stringify(a.rows[i]), JSON.stringify(b.rows[i])];
    if (x !== y) return `ticket ${i + 1}: ${x} ≠ ${y}`;
  }
  return null;
}
