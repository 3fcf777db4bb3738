import type { ToolDefinition } from './client-pool.js';

/**
 * A category and tags read off a tool's own definition, for the catalog when nobody configured them.
 * MCP annotations decide the category (they are the server's statement of intent); name words become tags.
 */
export function inferToolCategory(tool: ToolDefinition): { category: string; tags: string[] } {
  const a = (tool.annotations ?? {}) as Record<string, unknown>;
  const category =
    a.destructiveHint === true
      ? 'destructive'
      : a.readOnlyHint === true
        ? 'read'
        : a.openWorldHint === true
          ? 'external'
          : a.idempotentHint === true
            ? 'write'
            : 'other';
  const words = `${tool.name} ${tool.title ?? ''}`
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 2);
  const flags = Object.entries(a)
    .filter(([k, v]) => k.endsWith('Hint') && v === true)
    .map(([k]) =>
      k
        .replace(/Hint$/, '')
        .replace(/([a-z])([A-Z])/g, '$1-$2')
        .toLowerCase(),
    );
  return { category, tags: [...new Set([...words, ...flags])].sort() };
}

/** What catalog search matches against: name, title and description, lower-cased. */
export function toolSearchText(tool: ToolDefinition): string {
  return `${tool.name} ${tool.title ?? ''} ${tool.description ?? ''}`.toLowerCase();
}
