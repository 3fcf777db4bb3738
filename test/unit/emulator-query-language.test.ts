import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/sandboxes/emulator/openapi.js';
import { parseQuery, QueryError, type FieldSpec } from '../../core/sandboxes/emulator/behaviours/query-language.js';
import { runQuery } from '../../core/sandboxes/emulator/behaviours/query-run.js';

const EQ: FieldSpec['ops'] = ['=', '!=', 'in', 'not in', 'is', 'is not'];
const TEXT: FieldSpec['ops'] = ['~', '!~', 'is', 'is not'];
const fields: Record<string, FieldSpec> = {
  project: { paths: ['fields.project.key', 'fields.project.id'], ops: EQ },
  key: { paths: ['key'], ops: EQ },
  summary: { paths: ['fields.summary'], ops: TEXT },
  description: { paths: ['fields.description'], ops: TEXT },
  labels: { paths: ['fields.labels'], ops: EQ },
  assignee: { paths: ['fields.assignee.accountId'], ops: EQ },
  created: { paths: ['fields.created'], ops: EQ },
};
const issue = (key: string, summary: string, more: Record<string, unknown> = {}) => ({
  key,
  fields: { project: { key: key.split('-')[0], id: '10000' }, summary, labels: [], assignee: null, ...more },
});
const rows = [
  issue('DEMO-1', 'Login page rejects valid passwords', {
    labels: ['auth', 'p1'],
    created: '2025-01-01T10:00:00.000+0000',
  }),
  issue('DEMO-2', 'Crash on save', { assignee: { accountId: 'ada' }, created: '2025-01-02T10:00:00.000+0000' }),
  issue('DEMO-10', 'Slow search', {
    description: {
      type: 'doc',
      content: [{ type: 'paragraph', content: [{ type: 'text', text: 'The LOGIN search is slow' }] }],
    },
    created: '2025-01-02T10:00:00.000+0000',
  }),
  issue('OPS-1', 'Rotate certificates', { created: '2025-01-03T10:00:00.000+0000' }),
];
const keys = (jql: string) =>
  runQuery(parseQuery(jql, fields, 'JQL'), rows as unknown as JsonObject[], fields).map((r) => r.key);
const refused = (jql: string) => {
  try {
    parseQuery(jql, fields, 'JQL');
  } catch (err) {
    expect(err).toBeInstanceOf(QueryError);
    return (err as Error).message;
  }
  throw new Error(`${jql} was accepted`);
};

describe('the JQL/CQL subset', () => {
  it('reads clauses with AND binding tighter than OR, NOT and parentheses, case-insensitive keywords and values', () => {
    expect(keys('')).toEqual(['DEMO-1', 'DEMO-2', 'DEMO-10', 'OPS-1']);
    expect(keys('project = demo')).toEqual(['DEMO-1', 'DEMO-2', 'DEMO-10']);
    expect(keys('project = OPS or project = DEMO and labels = auth')).toEqual(['DEMO-1', 'OPS-1']);
    expect(keys('(project = OPS or project = DEMO) and labels = auth')).toEqual(['DEMO-1']);
    expect(keys('project = DEMO AND NOT summary ~ crash')).toEqual(['DEMO-1', 'DEMO-10']);
    expect(keys('project = 10000 AND key in ("DEMO-2", OPS-1)')).toEqual(['DEMO-2', 'OPS-1']);
    expect(keys('key NOT IN (DEMO-1, DEMO-2)')).toEqual(['DEMO-10', 'OPS-1']);
  });

  it('matches ~ by words in text and documents, and treats an empty field as neither equal nor unequal', () => {
    expect(keys('summary ~ "valid login"')).toEqual(['DEMO-1']);
    expect(keys('summary ~ "log*"')).toEqual(['DEMO-1']);
    expect(keys('description ~ login')).toEqual(['DEMO-10']);
    expect(keys('summary !~ "crash"')).toEqual(['DEMO-1', 'DEMO-10', 'OPS-1']);
    expect(keys('assignee = ada')).toEqual(['DEMO-2']);
    expect(keys('assignee != ada')).toEqual([]);
    expect(keys('assignee is EMPTY')).toEqual(['DEMO-1', 'DEMO-10', 'OPS-1']);
    expect(keys('assignee IS NOT null')).toEqual(['DEMO-2']);
    expect(keys('labels = p1')).toEqual(['DEMO-1']);
  });

  it('orders by several keys, numbers within text naturally, ties in creation order, EMPTY last', () => {
    expect(keys('ORDER BY key DESC')).toEqual(['OPS-1', 'DEMO-10', 'DEMO-2', 'DEMO-1']);
    expect(keys('project = DEMO ORDER BY key')).toEqual(['DEMO-1', 'DEMO-2', 'DEMO-10']);
    // DEMO-2 and DEMO-10 were created at the same instant: DESC puts the later-made first.
    expect(keys('ORDER BY created DESC')).toEqual(['OPS-1', 'DEMO-10', 'DEMO-2', 'DEMO-1']);
    expect(keys('ORDER BY created ASC, key DESC')).toEqual(['DEMO-1', 'DEMO-10', 'DEMO-2', 'OPS-1']);
    expect(keys('ORDER BY assignee')).toEqual(['DEMO-2', 'DEMO-1', 'DEMO-10', 'OPS-1']);
  });

  it('refuses what it does not support, in the vendor’s words', () => {
    expect(refused('sprint = 3')).toBe("Field 'sprint' does not exist or you do not have permission to view it.");
    expect(refused('summary = "Crash on save"')).toBe("The operator '=' is not supported by the 'summary' field.");
    expect(refused('project ~ DEMO')).toBe("The operator '~' is not supported by the 'project' field.");
    expect(refused('created >= -1d')).toBe("The operator '>=' is not supported by this sandbox");
    expect(refused('status WAS Done')).toMatch(/Field 'status' does not exist/);
    expect(refused('assignee = currentUser()')).toBe("The function 'currentUser' is not supported by this sandbox");
    expect(refused('project = DEMO AND')).toMatch(/expecting a field name but got the end of the query/);
    expect(refused('project = DEMO project = OPS')).toMatch(/expecting 'AND', 'OR' or 'ORDER BY' but got 'project'/);
    expect(refused('project = DEMO && key = DEMO-1')).toMatch(/expecting 'AND', 'OR' or 'ORDER BY'/);
    expect(refused('key IN (DEMO-1')).toMatch(/expecting '\)' or ','/);
    expect(refused('assignee IS ada')).toMatch(/expecting EMPTY or NULL/);
    expect(refused('ORDER key')).toMatch(/expecting 'by'/);
    expect(refused('summary ~ "open')).toMatch(/not closed/);
  });

  it('bounds hostile input: length, terms and nesting, in linear time', () => {
    expect(refused('x'.repeat(4001))).toMatch(/longer than 4000/);
    expect(refused(Array.from({ length: 200 }, () => 'key=K').join(' OR '))).toMatch(/more than 500 terms/);
    expect(refused(`${'NOT '.repeat(30)}key = K-1`)).toMatch(/nests deeper than 20/);
    expect(refused(`${'('.repeat(30)}key = K-1${')'.repeat(30)}`)).toMatch(/nests deeper than 20/);
    const started = performance.now();
    for (const text of ['"'.repeat(3999), `summary ~ "${'\\'.repeat(3981)}"`, '!'.repeat(3999), '('.repeat(3999)])
      expect(() => parseQuery(text, fields, 'JQL')).toThrow(QueryError);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
