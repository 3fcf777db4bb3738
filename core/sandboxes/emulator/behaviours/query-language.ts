/**
 * The subset of Atlassian's query languages (Jira's JQL, Confluence's CQL: one grammar) the emulator answers:
 *
 *   query   := [or] [ORDER BY field [ASC|DESC] {, field [ASC|DESC]}]
 *   or      := and {OR and};  and := unary {AND unary};  unary := NOT unary | ( or ) | clause
 *   clause  := field (= | != | ~ | !~) value | field [NOT] IN ( value {, value} ) | field IS [NOT] (EMPTY | NULL)
 *   value   := "text" | 'text' | word | EMPTY | NULL
 *
 * Keywords are case-insensitive, fields are those the spec maps to JSON paths of the stored rows, each with
 * the operators it takes. Anything else (functions, `>`, `WAS`, `CHANGED`) is a QueryError the caller answers
 * as the vendor's 400. Hostile input is bounded: the text's length, its tokens, how deep it nests; the scanner
 * is a loop over characters (no regular expression to backtrack).
 */
export const MAX_QUERY_LENGTH = 4000;
const MAX_TOKENS = 500;
const MAX_DEPTH = 20;

export type Operator = '=' | '!=' | '~' | '!~' | 'in' | 'not in' | 'is' | 'is not';
export const OPERATORS: readonly Operator[] = ['=', '!=', '~', '!~', 'in', 'not in', 'is', 'is not'];

/** How a field of the language is read from a row: the JSON paths holding its values, and its operators. */
export interface FieldSpec {
  paths: string[];
  ops: Operator[];
}

/** A value; null is EMPTY (or NULL). */
type Value = string | null;
export type Expr = { and: Expr[] } | { or: Expr[] } | { not: Expr } | { field: string; op: Operator; values: Value[] };

export interface Query {
  where?: Expr;
  orderBy: Array<{ field: string; desc: boolean }>;
}

/** The query cannot be answered; the message says why, in the vendor's manner. */
export class QueryError extends Error {
  override name = 'QueryError';
}

type Token = { kind: 'word' | 'string' | 'punct' | 'op'; text: string; at: number };

const PUNCT = new Set(['(', ')', ',']);
// Characters that end a word: whitespace, punctuation, operators and quotes.
const BREAKS = new Set([' ', '\t', '\n', '\r', '(', ')', ',', '=', '!', '~', '<', '>', '"', "'", '&', '|']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (t: Token) => {
    if (tokens.push(t) > MAX_TOKENS) throw new QueryError(`The query has more than ${MAX_TOKENS} terms`);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
    else if (PUNCT.has(c)) push({ kind: 'punct', text: c, at: i++ });
    else if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++)
        value += text[j] === '\\' && j + 1 < text.length ? text[++j] : text[j];
      if (j >= text.length) throw new QueryError(`The quoted text at character ${i + 1} is not closed`);
      push({ kind: 'string', text: value, at: i });
      i = j + 1;
    } else if (c === '!' || c === '<' || c === '>') {
      const two = text.slice(i, i + 2);
      const op = ['!=', '!~', '<=', '>='].includes(two) ? two : c;
      push({ kind: 'op', text: op, at: i });
      i += op.length;
    } else if (c === '=' || c === '~' || c === '&' || c === '|') push({ kind: 'op', text: c, at: i++ });
    else {
      let j = i;
      while (j < text.length && !BREAKS.has(text[j]!)) j++;
      push({ kind: 'word', text: text.slice(i, j), at: i });
      i = j;
    }
  }
  return tokens;
}

/** Parses `text`, checking each field and operator against `fields` (by lower-case name). */
export function parseQuery(text: string, fields: Record<string, FieldSpec>, language: string): Query {
  if (text.length > MAX_QUERY_LENGTH) throw new QueryError(`The query is longer than ${MAX_QUERY_LENGTH} characters`);
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (t: Token | undefined, word: string) => t?.kind === 'word' && t.text.toLowerCase() === word;
  const near = (t: Token | undefined) => (t ? `'${t.text}' at character ${t.at + 1}` : 'the end of the query');
  const fail = (expected: string, t = peek()): never => {
    throw new QueryError(`Error in the ${language} query: expecting ${expected} but got ${near(t)}`);
  };
  const field = (): string => {
    const t = tokens[pos++];
    if (!t || (t.kind !== 'word' && t.kind !== 'string')) return fail('a field name', t);
    const name = t.text.toLowerCase();
    if (!Object.hasOwn(fields, name))
      throw new QueryError(`Field '${t.text}' does not exist or you do not have permission to view it.`);
    return name;
  };
  const value = (): Value => {
    const t = tokens[pos++];
    if (t?.kind === 'string') return t.text;
    if (t?.kind !== 'word') return fail('a value', t);
    if (peek()?.text === '(') throw new QueryError(`The function '${t.text}' is not supported by this sandbox`);
    return ['empty', 'null'].includes(t.text.toLowerCase()) ? null : t.text;
  };
  const clause = (): Expr => {
    const name = field();
    const t = peek();
    let op: Operator;
    if (t?.kind === 'op' && ['=', '!=', '~', '!~'].includes(t.text)) op = t.text as Operator;
    else if (isWord(t, 'in')) op = 'in';
    else if (isWord(t, 'not') && isWord(tokens[pos + 1], 'in')) op = 'not in';
    else if (isWord(t, 'is')) op = isWord(tokens[pos + 1], 'not') ? 'is not' : 'is';
    else if (t?.kind === 'op' || isWord(t, 'was') || isWord(t, 'changed'))
      throw new QueryError(`The operator '${t!.text}' is not supported by this sandbox`);
    else return fail('an operator', t);
    pos += op === 'not in' || op === 'is not' ? 2 : 1;
    if (!fields[name]!.ops.includes(op))
      throw new QueryError(`The operator '${op.toUpperCase()}' is not supported by the '${name}' field.`);
    if (op === 'is' || op === 'is not') {
      const v = value();
      if (v !== null) fail('EMPTY or NULL', tokens[pos - 1]);
      return { field: name, op, values: [null] };
    }
    if (op !== 'in' && op !== 'not in') return { field: name, op, values: [value()] };
    if (tokens[pos++]?.text !== '(') fail("'('", tokens[pos - 1]);
    const values = [value()];
    while (peek()?.kind === 'punct' && peek()?.text === ',') {
      pos++;
      values.push(value());
    }
    if (tokens[pos++]?.text !== ')') fail("')' or ','", tokens[pos - 1]);
    return { field: name, op, values };
  };
  const unary = (depth: number): Expr => {
    if (depth > MAX_DEPTH) throw new QueryError(`The query nests deeper than ${MAX_DEPTH} levels`);
    if (isWord(peek(), 'not')) {
      pos++;
      return { not: unary(depth + 1) };
    }
    if (peek()?.text === '(' && peek()?.kind === 'punct') {
      pos++;
      const inner = or(depth + 1);
      if (tokens[pos++]?.text !== ')') fail("')'", tokens[pos - 1]);
      return inner;
    }
    return clause();
  };
  const and = (depth: number): Expr => {
    const terms = [unary(depth)];
    while (isWord(peek(), 'and')) {
      pos++;
      terms.push(unary(depth));
    }
    return terms.length === 1 ? terms[0]! : { and: terms };
  };
  const or = (depth: number): Expr => {
    const terms = [and(depth)];
    while (isWord(peek(), 'or')) {
      pos++;
      terms.push(and(depth));
    }
    return terms.length === 1 ? terms[0]! : { or: terms };
  };
  const query: Query = { orderBy: [] };
  if (peek() && !isWord(peek(), 'order')) query.where = or(0);
  if (isWord(peek(), 'order')) {
    pos++;
    if (!isWord(tokens[pos++], 'by')) fail("'by'", tokens[pos - 1]);
    do {
      if (query.orderBy.length > 0) pos++;
      const name = field();
      const dir = peek();
      const desc = isWord(dir, 'desc');
      if (desc || isWord(dir, 'asc')) pos++;
      query.orderBy.push({ field: name, desc });
    } while (peek()?.kind === 'punct' && peek()?.text === ',');
  }
  if (peek()) fail(query.orderBy.length ? "',' or the end of the query" : "'AND', 'OR' or 'ORDER BY'");
  return query;
}
