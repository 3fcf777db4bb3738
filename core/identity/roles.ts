/** The roles a user (and so an API key) can hold, most powerful first. */
export const ROLES = ['admin', 'developer', 'approver', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);
