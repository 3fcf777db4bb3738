/**
 * The credential of a postgres server: a connection URL (`postgres://user:password@host:5432/db?sslmode=require`)
 * or the same as JSON (`{"host", "port", "user", "password", "database", "sslmode"}`). Parsed here, checked,
 * and never quoted back: errors name what is wrong, not the value.
 */
import type { ConnectionOptions } from 'node:tls';
import { jsonCredential, requireCredential } from '../server/credential.js';
import { VendorError } from '../server/vendor-error.js';

export const VENDOR = 'PostgreSQL';

export interface PgTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** false: no TLS; else tls options (sslmode require: encrypted, unverified; verify-ca/verify-full: verified). */
  ssl: false | ConnectionOptions;
}

const SSL_MODES: Record<string, false | ConnectionOptions> = {
  disable: false,
  allow: false,
  prefer: false,
  require: { rejectUnauthorized: false },
  'verify-ca': { rejectUnauthorized: true },
  'verify-full': { rejectUnauthorized: true },
};

const invalid = (why: string) =>
  new VendorError(VENDOR, 401, 'invalid_credential', `${VENDOR}: the credential secret ${why}`);

export function parsePgCredential(credential: string): PgTarget {
  const value = requireCredential(VENDOR, credential).trim();
  const fields = value.startsWith('{') ? fromJson(value) : fromUrl(value);
  const port = Number(fields.port ?? 5432);
  if (!fields.host) throw invalid('names no host');
  if (!fields.user) throw invalid('names no user');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('has a port that is not 1 to 65535');
  const mode = fields.sslmode ?? 'disable';
  if (!Object.hasOwn(SSL_MODES, mode))
    throw invalid(`has an sslmode that is not one of ${Object.keys(SSL_MODES).join(', ')}`);
  return {
    host: fields.host,
    port,
    user: fields.user,
    password: fields.password ?? '',
    database: fields.database || fields.user,
    ssl: SSL_MODES[mode]!,
  };
}

type Fields = Partial<Record<'host' | 'port' | 'user' | 'password' | 'database' | 'sslmode', string>>;

function fromUrl(value: string): Fields {
  if (!/^postgres(ql)?:\/\//i.test(value) || !URL.canParse(value))
    throw invalid(
      'must be a connection URL postgres://user:password@host:port/database, or JSON with host, user, password, database',
    );
  const url = new URL(value);
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw invalid('has a part that is not percent-encoded right');
    }
  };
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    ...(url.port ? { port: url.port } : {}),
    user: decode(url.username),
    password: decode(url.password),
    database: decode(url.pathname.replace(/^\//, '')),
    ...(url.searchParams.get('sslmode') ? { sslmode: url.searchParams.get('sslmode')! } : {}),
  };
}

function fromJson(value: string): Fields {
  const obj = jsonCredential(VENDOR, value, ['host', 'user'], ['password', 'database', 'sslmode']);
  const raw = JSON.parse(value) as Record<string, unknown>;
  return {
    host: obj.host,
    user: obj.user,
    ...(typeof raw.port === 'number' || typeof raw.port === 'string' ? { port: String(raw.port) } : {}),
    ...(typeof obj.password === 'string' ? { password: obj.password } : {}),
    ...(typeof obj.database === 'string' ? { database: obj.database } : {}),
    ...(typeof obj.sslmode === 'string' ? { sslmode: obj.sslmode } : {}),
  };
}

/** The password as it is and as a URL holds it, for redaction (the whole credential is redacted by main.ts). */
export function pgSecrets(credential: string): string[] {
  try {
    const { password } = parsePgCredential(credential);
    return password ? [...new Set([password, encodeURIComponent(password)])] : [];
  } catch {
    return [];
  }
}
