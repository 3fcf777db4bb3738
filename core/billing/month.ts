/** The first instant of `now`'s calendar month, UTC: budgets, the month's spend and refundable credit count from it. */
export const monthStart = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
