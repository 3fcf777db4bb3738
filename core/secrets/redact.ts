/** A secret's name and its resolved value, as a connection was opened with it. */
export interface SecretValue {
  name: string;
  value: string;
}

/**
 * Replaces known secret values with `[secret:NAME]` wherever text leaves the connection that used them:
 * tool results before they are stored or returned, status reasons, error messages, audit data and stderr
 * lines before they are logged. Each value is matched as is and as it appears inside a JSON string
 * (escaped), longest first so a secret containing another is replaced whole. It cannot see a value the
 * server transformed (encoded, split): binding secrets is an admin's decision for that reason.
 */
export class Redactor {
  private readonly pairs: Array<[string, string]>;

  constructor(secrets: SecretValue[]) {
    const pairs = new Map<string, string>();
    for (const { name, value } of secrets) {
      if (value.length === 0) continue;
      pairs.set(value, `[secret:${name}]`);
      const escaped = JSON.stringify(value).slice(1, -1);
      if (escaped !== value) pairs.set(escaped, `[secret:${name}]`);
    }
    this.pairs = [...pairs].sort((a, b) => b[0].length - a[0].length);
  }

  get empty(): boolean {
    return this.pairs.length === 0;
  }

  text(s: string): string {
    let out = s;
    for (const [value, mark] of this.pairs) if (out.includes(value)) out = out.split(value).join(mark);
    return out;
  }

  /** A deep copy of a JSON value with every string (and object key) redacted. */
  json<T>(v: T): T {
    if (this.empty) return v;
    return this.walk(v) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.text(k), this.walk(x)]));
    return v;
  }
}

/** One line of at most `max` characters: what of a server's own words may go into a status or an error. */
export function boundedText(s: string, max = 300): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const line = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
