/** The one scale of capability risks and server security levels, lowest first. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Whether `a` is below `b` on the scale (a weaker governance when a risk or level moves there). */
export const isBelow = (a: Severity, b: Severity): boolean => SEVERITIES.indexOf(a) < SEVERITIES.indexOf(b);
