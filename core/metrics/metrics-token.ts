import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** The bearer of an `Authorization` header, or undefined when it has none. */
export function bearerOf(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

/** Whether `bearer` is METRICS_TOKEN. Hashes first: equal lengths for the constant-time compare, and no length leaks. */
export function isMetricsToken(bearer: string, token: string | undefined): boolean {
  return token !== undefined && timingSafeEqual(sha256(bearer), sha256(token));
}
