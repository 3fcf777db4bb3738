/**
 * Lexical ranking of documents for a task description: BM25 over words, with the light stemming and the
 * few vendor synonyms that make "file a ticket" find Jira's create_issue. What ranks tools when no LLM
 * provider is configured (or the LLM fails), and what picks the candidates an LLM is shown.
 */

const STOP_WORDS = new Set(
  'a an and are as at be by for from has have i in into is it its me my of on or our please that the their them then this to up us we with you your want need should can could would will'.split(
    ' ',
  ),
);

// A word a task uses → the word tools use for it.
const SYNONYMS: Record<string, string> = {
  ticket: 'issue',
  bug: 'issue',
  story: 'issue',
  epic: 'issue',
  msg: 'message',
  chat: 'message',
  notify: 'post',
  announce: 'post',
  tell: 'post',
  report: 'create',
  doc: 'page',
  document: 'page',
  wiki: 'page',
  pr: 'pull',
  repo: 'repository',
  vm: 'instance',
  server: 'instance',
  bucket: 'bucket',
  upload: 'put',
  download: 'get',
  read: 'get',
  fetch: 'get',
  find: 'search',
  query: 'search',
  lookup: 'search',
  make: 'create',
  open: 'create',
  new: 'create',
  edit: 'update',
  change: 'update',
  modify: 'update',
  remove: 'delete',
  function: 'lambda',
};

function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && word.endsWith('es') && /(sh|ch|x|ss)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  return word;
}

/** The words of a text: camelCase and snake_case split, lower-cased, stop words out, stemmed, synonyms mapped. */
export function words(text: string): string[] {
  return (
    text
      // "file a ticket" files nothing: the verb is create.
      .replace(/\bfile\s+(an?)\b/gi, 'create $1')
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 1 && !STOP_WORDS.has(w))
      .map((w) => stem(SYNONYMS[w] ?? w))
      .map((w) => SYNONYMS[w] ?? w)
  );
}

export interface RankedDoc<T> {
  item: T;
  score: number;
  /** The task's words this document matched. */
  matched: string[];
}

const K1 = 1.2;
const B = 0.75;

/**
 * BM25 scores of each document for the query, best first; documents matching no word are left out.
 * Scores are normalised to 0..1 against the best one.
 */
export function rankLexically<T>(query: string, docs: { item: T; text: string }[]): RankedDoc<T>[] {
  const q = [...new Set(words(query))];
  if (q.length === 0 || docs.length === 0) return [];
  const tokenised = docs.map((d) => words(d.text));
  const avgLen = tokenised.reduce((n, t) => n + t.length, 0) / docs.length || 1;
  const df = new Map<string, number>();
  for (const t of tokenised) for (const w of new Set(t)) df.set(w, (df.get(w) ?? 0) + 1);
  const scored = docs.map((d, i) => {
    const t = tokenised[i]!;
    const tf = new Map<string, number>();
    for (const w of t) tf.set(w, (tf.get(w) ?? 0) + 1);
    let score = 0;
    const matched: string[] = [];
    for (const w of q) {
      const f = tf.get(w);
      if (!f) continue;
      matched.push(w);
      const n = df.get(w) ?? 0;
      const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
      score += (idf * f * (K1 + 1)) / (f + K1 * (1 - B + (B * t.length) / avgLen));
    }
    return { item: d.item, score, matched };
  });
  const hits = scored.filter((s) => s.score > 0).sort((a, b) => b.score - a.score);
  const best = hits[0]?.score ?? 1;
  return hits.map((h) => ({ ...h, score: Math.round((h.score / best) * 1000) / 1000 }));
}
