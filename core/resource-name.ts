import { z } from 'zod';

/** The name of an MCP server, an agent or a capability: what URLs, tool names and `<agent>__<capability>` can carry. */
export const ResourceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'letters, digits, _ and -, at most 63, starting with a letter or digit');
