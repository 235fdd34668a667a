import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import { AppError, forbidden, notFound, validationError } from "../errors.js";
import type { AssignmentStrategy } from "../generated/prisma/enums.js";
import { isUuid } from "./lookup.js";

export interface TeamInput {
  name: string;
  strategy: AssignmentStrategy;
  memberIds: string[];
}

const nameTaken = () =>
  new AppError("CONFLICT", "A team with this name exists", { fields: [{ path: ["input", "name"], message: "already taken" }] });

type Db = Context["db"];

/** Every id must be an agent of the tenant; disabled agents may be members (they are skipped when tickets are routed). */
async function assertAgents(db: Db, ids: string[], path: string[]) {
  const unique = [...new Set(ids)];
  if (!unique.length) return unique;
  const found = await db.agent.count({ where: { id: { in: unique } } });
  if (found !== unique.length) throw validationError([{ path, message: "names an agent that does not exist" }]);
  return unique;
}

export async function createTeam(ctx: Context, input: TeamInput) {
  const { tenantId } = requireViewer(ctx);
  const members = await assertAgents(ctx.db, input.memberIds, ["input", "memberIds"]);
  try {
    return await ctx.db.team.create({
      data: {
        tenantId,
        name: input.name,
        strategy: input.strategy,
        members: { create: members.map((agentId) => ({ tenantId, agentId })) },
      },
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken();
    throw err;
  }
}

export async function updateTeam(ctx: Context, id: string, patch: { name?: string; strategy?: AssignmentStrategy }) {
  try {
    const { count } = await ctx.db.team.updateMany({ where: { id }, data: patch });
    if (!count) throw notFound("Team");
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken();
    throw err;
  }
}

/** Its tickets stay where they are, without a team. */
export async function deleteTeam(ctx: Context, id: string) {
  const { count } = await ctx.db.team.deleteMany({ where: { id } });
  if (!count) throw notFound("Team");
}

/** Adds and removes members in one transaction; adding a member twice or removing a non-member changes nothing. */
export async function changeMembers(ctx: Context, teamId: string, add: string[], remove: string[]) {
  const { tenantId } = requireViewer(ctx);
  const adding = await assertAgents(ctx.db, add, ["addAgentIds"]);
  await ctx.db.$transaction(async (tx) => {
    if (!(await tx.team.findUnique({ where: { id: teamId }, select: { id: true } }))) throw notFound("Team");
    if (remove.length) await tx.teamMember.deleteMany({ where: { teamId, agentId: { in: remove } } });
    if (adding.length) {
      await tx.teamMember.createMany({ data: adding.map((agentId) => ({ tenantId, teamId, agentId })), skipDuplicates: true });
    }
  });
}

/** An agent says whether routing may give them tickets now (their own flag: a break, the end of a shift). */
export async function setAvailability(ctx: Context, available: boolean) {
  const viewer = requireViewer(ctx);
  if (viewer.kind !== "agent") throw forbidden("Only agents have an availability");
  return ctx.db.agent.update({ where: { id: viewer.agentId }, data: { available } });
}

/** The team exists in the tenant (a team of another tenant is missing). */
export async function assertTeam(db: Pick<Db, "team">, id: string, path: (string | number)[]) {
  const team = isUuid(id) ? await db.team.findUnique({ where: { id }, select: { id: true } }) : null;
  if (!team) throw new AppError("NOT_FOUND", "Team not found", { fields: [{ path, message: "no such team" }] });
}
