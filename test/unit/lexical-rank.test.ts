import { describe, expect, it } from 'vitest';
import { rankLexically, words } from '../../core/tools/lexical-rank.js';

describe('lexical ranking', () => {
  it('splits names, drops stop words, stems and maps the words tasks use to the words tools use', () => {
    expect(words('createIssue search_issues')).toEqual(['create', 'issue', 'search', 'issue']);
    expect(words('File a ticket for the bugs')).toEqual(['create', 'issue', 'issue']);
    expect(words('upload the files')).toEqual(['put', 'file']);
  });

  it('ranks the document sharing the rarest words first, scores 0..1, and leaves out what matches nothing', () => {
    const ranked = rankLexically('post a message to the channel', [
      { item: 'post', text: 'post_message Post a message to a channel' },
      { item: 'list', text: 'list_channels List the channels' },
      { item: 'get', text: 'get_object Read an object' },
    ]);
    expect(ranked.map((r) => r.item)).toEqual(['post', 'list']);
    expect(ranked[0]).toMatchObject({ score: 1, matched: ['post', 'message', 'channel'] });
    expect(ranked[1]!.score).toBeGreaterThan(0);
    expect(ranked[1]!.score).toBeLessThan(1);
  });

  it('answers nothing for an empty query or no documents', () => {
    expect(rankLexically('the a of', [{ item: 1, text: 'anything' }])).toEqual([]);
    expect(rankLexically('anything', [])).toEqual([]);
  });
});
