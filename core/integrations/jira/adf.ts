/**
 * Plain text to and from the Atlassian Document Format, which Jira's REST API v3 takes and gives for rich
 * text (descriptions, comments): paragraphs at blank lines, hard breaks at single newlines; and back, the
 * text of a document's nodes with a paragraph a line.
 */

export interface AdfNode {
  type: string;
  text?: string;
  content?: AdfNode[];
  [key: string]: unknown;
}

/** A document of `text`: one paragraph per blank-line-separated block (an empty text is an empty document). */
export function textToAdf(text: string): AdfNode {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .filter((p) => p.trim() !== '')
    .map((p) => ({
      type: 'paragraph',
      content: p
        .split('\n')
        .flatMap((line, i): AdfNode[] => [
          ...(i > 0 ? [{ type: 'hardBreak' }] : []),
          ...(line === '' ? [] : [{ type: 'text', text: line }]),
        ]),
    }));
  return { type: 'doc', version: 1, content: paragraphs };
}

// Blocks end with a blank line (paragraphs) or a line break (list items, table rows).
const PARAGRAPHS = new Set(['paragraph', 'heading', 'codeBlock', 'blockquote', 'rule', 'panel']);
const LINES = new Set(['listItem', 'tableRow']);
const MAX_NODES = 20_000;

/** The text of a document (or of any JSON a field holds), at most `max` characters; null for none. */
export function adfToText(doc: unknown, max = 20_000): string | null {
  if (doc === null || doc === undefined) return null;
  if (typeof doc === 'string') return doc.slice(0, max);
  let out = '';
  let seen = 0;
  const walk = (node: unknown): void => {
    if (out.length >= max || ++seen > MAX_NODES || typeof node !== 'object' || node === null) return;
    const n = node as AdfNode;
    if (typeof n.text === 'string') out += n.text;
    else if (n.type === 'hardBreak') out += '\n';
    else if (n.type === 'mention' && typeof (n.attrs as { text?: unknown })?.text === 'string')
      out += (n.attrs as { text: string }).text;
    if (Array.isArray(n.content)) for (const child of n.content) walk(child);
    if (PARAGRAPHS.has(n.type)) out += '\n\n';
    else if (LINES.has(n.type) && !out.endsWith('\n')) out += '\n';
  };
  walk(doc);
  const text = out.replace(/\n{3,}/g, '\n\n').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
