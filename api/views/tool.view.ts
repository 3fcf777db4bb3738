import type { CatalogEntry } from '../../core/db/tool-catalog.repository.js';

const ANNOTATIONS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

/** A catalog tool: its definition's public parts, configured or inferred labels, and call statistics. */
export function entryView(t: CatalogEntry) {
  const d = t.definition as {
    title?: string;
    description?: string;
    inputSchema?: unknown;
    annotations?: Record<string, unknown>;
  };
  return {
    server: { id: t.server_id, name: t.server_name },
    name: t.name,
    title: d.title ?? null,
    description: d.description ?? null,
    category: t.category ?? t.inferred_category,
    categorySource: t.category ? 'configured' : 'inferred',
    tags: [...new Set([...t.tags, ...t.inferred_tags])].sort(),
    annotations: Object.fromEntries(ANNOTATIONS.map((k) => [k, d.annotations?.[k] ?? null])),
    inputSchema: d.inputSchema ?? null,
    definitionHash: t.definition_hash,
    stats: t.stats,
  };
}
