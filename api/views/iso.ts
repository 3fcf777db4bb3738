/** A timestamp as the API writes it: ISO 8601, or null when there is none. */
export const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);
