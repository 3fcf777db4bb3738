import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import { PIPELINE_LIMITS } from './pipeline.schemas.js';

/** A file the code stage wrote, its path made safe. */
export interface GeneratedFile {
  path: string;
  content: string;
  sha256: string;
  bytes: number;
  lines: number;
}

/** What the approval shows of the code: how many files and lines, and which paths. */
export interface DiffSummary {
  files: number;
  lines: number;
  bytes: number;
  paths: string[];
}

// One path segment: letters, digits and . _ - @ + (no spaces, no control characters, no shell or glob signs).
const SEGMENT = /^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]{0,99}$|^\.[A-Za-z0-9_@+-][A-Za-z0-9._@+-]{0,98}$/;

const unsafe = (path: string, why: string) =>
  new AppError('unsafe_generated_path', 422, `The code stage wrote a path that is not allowed (${why})`, {
    path: path.slice(0, PIPELINE_LIMITS.pathChars),
  });

/**
 * A generated path as a relative POSIX path: backslashes are separators, `.` and empty segments go; an
 * absolute path (`/x`, `C:x`, `\\host`), `..`, or a segment outside the safe characters is refused.
 */
export function safeRelativePath(raw: string): string {
  const unified = raw.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[A-Za-z]:/.test(unified)) throw unsafe(raw, 'absolute');
  const segments = unified.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) throw unsafe(raw, 'empty');
  if (segments.includes('..')) throw unsafe(raw, '".." segment');
  const bad = segments.find((s) => !SEGMENT.test(s));
  if (bad !== undefined) throw unsafe(raw, `segment ${JSON.stringify(bad.slice(0, 50))}`);
  const path = segments.join('/');
  if (path.length > PIPELINE_LIMITS.pathChars) throw unsafe(raw, 'too long');
  return path;
}

/** The code stage's files, paths made safe and bounds checked (count, per file, total); a repeated path is refused. */
export function generatedFiles(files: Array<{ path: string; content: string }>): GeneratedFile[] {
  if (files.length > PIPELINE_LIMITS.files)
    throw new AppError(
      'too_many_files',
      422,
      `The code stage wrote ${files.length} files; at most ${PIPELINE_LIMITS.files}`,
    );
  const seen = new Set<string>();
  let total = 0;
  return files.map((f) => {
    const path = safeRelativePath(f.path);
    if (seen.has(path)) throw unsafe(f.path, 'written twice');
    seen.add(path);
    const bytes = Buffer.byteLength(f.content, 'utf8');
    if (bytes > PIPELINE_LIMITS.fileBytes)
      throw new AppError('file_too_large', 422, `${path} is ${bytes} bytes; at most ${PIPELINE_LIMITS.fileBytes}`);
    total += bytes;
    if (total > PIPELINE_LIMITS.totalBytes)
      throw new AppError('files_too_large', 422, `The files exceed ${PIPELINE_LIMITS.totalBytes} bytes together`);
    return { path, content: f.content, sha256: sha256(f.content), bytes, lines: lineCount(f.content) };
  });
}

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const lineCount = (text: string) => (text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));

export function diffSummary(files: Array<{ path: string; content: string; bytes: number }>): DiffSummary {
  return {
    files: files.length,
    lines: files.reduce((n, f) => n + lineCount(f.content), 0),
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    paths: files.map((f) => f.path),
  };
}
