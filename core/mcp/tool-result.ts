/** The text parts of an MCP tool result, joined: the human-readable message of a tool error. */
export function toolResultText(result: { content?: unknown }): string {
  const content = Array.isArray(result.content) ? result.content : [];
  return content
    .filter(
      (c): c is { type: 'text'; text: string } =>
        typeof c === 'object' && c !== null && (c as { type?: unknown }).type === 'text',
    )
    .map((c) => c.text)
    .join('\n')
    .trim();
}
