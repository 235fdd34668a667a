import { AppError } from "../errors.js";
import type { TicketStatus } from "../generated/prisma/enums.js";

/**
 * The ticket lifecycle. CLOSED is final; SOLVED can be reopened (a requester's
 * reply does it automatically); nothing goes back to NEW.
 */
export const NEXT: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  NEW: ["OPEN", "PENDING", "SOLVED", "CLOSED"],
  OPEN: ["PENDING", "SOLVED", "CLOSED"],
  PENDING: ["OPEN", "SOLVED", "CLOSED"],
  SOLVED: ["OPEN", "CLOSED"],
  CLOSED: [],
};

function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return from === to || NEXT[from].includes(to);
}

function assertTransition(from: TicketStatus, to: TicketStatus): void {
  if (!canTransition(from, to)) {
    throw new AppError("INVALID_TRANSITION", `A ${from} ticket cannot become ${to}`, { from, to, allowed: NEXT[from] });
  }
}

export function assertNotClosed(status: TicketStatus): void {
  if (status === "CLOSED") throw new AppError("TICKET_CLOSED", "This ticket is closed; open a follow-up ticket instead");
}

/** The fields that change with the status: solvedAt is set when solved, cleared when reopened. */
export function statusChange(from: TicketStatus, to: TicketStatus): { status: TicketStatus; solvedAt?: Date | null } {
  assertTransition(from, to);
  if (from === to) return { status: to };
  if (to === "SOLVED") return { status: to, solvedAt: new Date() };
  if (to === "CLOSED") return { status: to };
  return { status: to, solvedAt: null };
}
