import { VendorError } from './vendor-error.js';

/**
 * A credential that must be a JSON object with the named string fields: parsed, or a clear error naming
 * the fields (never the value).
 */
export function jsonCredential<K extends string>(
  vendor: string,
  credential: string,
  required: readonly K[],
  optional: readonly string[] = [],
): Record<K, string> & Record<string, string | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(credential);
  } catch {
    value = undefined;
  }
  const fields = [...required, ...optional].join(', ');
  const shape = `a JSON object with ${fields}`;
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new VendorError(vendor, 401, 'invalid_credential', `${vendor}: the credential secret must be ${shape}`);
  const obj = value as Record<string, unknown>;
  const missing = required.filter((k) => typeof obj[k] !== 'string' || obj[k] === '');
  if (missing.length > 0)
    throw new VendorError(
      vendor,
      401,
      'invalid_credential',
      `${vendor}: the credential secret lacks ${missing.join(', ')} (it must be ${shape})`,
    );
  return obj as Record<K, string>;
}

/**
 * Every string value of a JSON credential (or the credential itself), for redaction; but the fields named
 * `publicFields`, identifiers the vendor's answers hold too (a GCP key's project_id, its googleapis.com URLs).
 */
export function credentialStrings(credential: string, publicFields: readonly string[] = []): string[] {
  const out = [credential];
  try {
    const value = JSON.parse(credential) as unknown;
    if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value))
        if (typeof v === 'string' && v.length >= 8 && !publicFields.includes(k)) out.push(v);
  } catch {
    // a bare token
  }
  return out;
}

/** The credential, or the 401 of a server given none (it serves sandboxes only until an admin gives it one). */
export function requireCredential(vendor: string, credential: string): string {
  if (credential === '')
    throw new VendorError(
      vendor,
      401,
      'no_credential',
      `${vendor}: this server has no credential (config.credentials: "secret:NAME"), so it serves sandboxes only`,
    );
  return credential;
}
