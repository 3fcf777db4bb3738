import { Redactor, type SecretValue } from '../secrets/redact.js';

const TAIL_CHARS = 8 * 1024;
const LINE_CHARS = 4 * 1024;

/**
 * What a service printed, bounded: the last TAIL_CHARS of it (for an error message or an exit reason) and
 * each line, cut at LINE_CHARS, handed to `onLine` (the log). Known secret values never leave it.
 */
export class OutputTail {
  private tail = '';
  private readonly partial = new Map<string, string>();
  private readonly redactor: Redactor;

  constructor(
    secrets: SecretValue[],
    private readonly onLine: (stream: string, line: string) => void,
  ) {
    this.redactor = new Redactor(secrets);
  }

  /** Text from `stream` (read with setEncoding('utf8'), so no character is split). */
  push(stream: string, text: string): void {
    this.tail = (this.tail + text).slice(-TAIL_CHARS);
    const lines = ((this.partial.get(stream) ?? '') + text).split('\n');
    // A line longer than LINE_CHARS is cut there; the rest of it is dropped, not buffered.
    this.partial.set(stream, lines.pop()!.slice(0, LINE_CHARS));
    for (const line of lines) if (line.trim()) this.onLine(stream, this.redactor.text(line.slice(0, LINE_CHARS)));
  }

  /** The last few KiB printed, secrets redacted. */
  text(): string {
    return this.redactor.text(this.tail).trim();
  }
}
