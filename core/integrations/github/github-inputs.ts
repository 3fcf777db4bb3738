/** The input fields GitHub's tools share: logins, repository names, refs and paths bounded as GitHub spells them. */
import type { JsonSchema } from '../integration.js';

export const owner: JsonSchema = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$',
  description: 'The account that owns the repository (a user or organization login), e.g. octocat.',
};
export const repo: JsonSchema = {
  type: 'string',
  pattern: '^[A-Za-z0-9._-]{1,100}$',
  not: { enum: ['.', '..'] },
  description: 'The repository name, without .git, e.g. hello-world.',
};
export const number = (what: string): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  maximum: 2147483647,
  description: what,
});
export const ref = (what: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[^\\s~^:?*\\[\\\\]+$',
  description: what,
});
export const markdown = (what: string, max = 65536): JsonSchema => ({
  type: 'string',
  maxLength: max,
  description: what,
});
export const state: JsonSchema = {
  type: 'string',
  enum: ['open', 'closed', 'all'],
  description: 'Which to list (default open).',
};
export const paging = {
  per_page: { type: 'integer', minimum: 1, maximum: 100, description: 'At most this many per page (default 30).' },
  page: { type: 'integer', minimum: 1, maximum: 1000, description: 'Which page, from 1.' },
};
export const sortOf = (values: string[]) => ({
  sort: { type: 'string', enum: values, description: `Sort by (default ${values[0]}).` },
  direction: { type: 'string', enum: ['asc', 'desc'], description: 'Sort direction (default desc).' },
});
export const filePath: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 1024,
  pattern: '^[^\\u0000-\\u001f]+$',
  // A `..` segment would climb out of /contents/ once the URL is resolved (to /user/keys, say).
  not: { pattern: '(^|/)\\.\\.?(/|$)' },
  description: 'The path in the repository, e.g. docs/README.md.',
};
export const logins = (what: string, max: number): JsonSchema => ({
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 100 },
  maxItems: max,
  uniqueItems: true,
  description: what,
});
