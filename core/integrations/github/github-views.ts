/**
 * GitHub's answers trimmed to what an agent works with: numbers, titles, states, logins, branches, URLs,
 * and bodies and file text bounded. Names stay GitHub's own (html_url, created_at), as the tools' inputs are.
 */
type Obj = Record<string, unknown>;

// A body or file this long is cut: an issue body can hold 65,536 characters, a file up to 1 MB.
const MAX_BODY = 65536;
const MAX_FILE_TEXT = 256 * 1024;

export const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const defined = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
const login = (u: unknown) => str(obj(u).login);
// A label is an object in GitHub's answers; a name is what an agent gives back.
const labelName = (l: unknown) => (typeof l === 'string' ? l : str(obj(l).name));

function bounded(text: unknown, max = MAX_BODY): Obj {
  if (typeof text !== 'string') return {};
  return text.length > max ? { body: `${text.slice(0, max)}…`, body_truncated: true } : { body: text };
}

export function issue(i: Obj, full = false): Obj {
  return defined({
    number: i.number,
    title: str(i.title),
    state: str(i.state),
    state_reason: full ? str(i.state_reason) : undefined,
    user: login(i.user),
    labels: list(i.labels)
      .map(labelName)
      .filter((n) => n !== undefined),
    assignees: list(i.assignees)
      .map(login)
      .filter((n) => n !== undefined),
    milestone: full ? str(obj(i.milestone).title) : undefined,
    comments: typeof i.comments === 'number' ? i.comments : undefined,
    is_pull_request: i.pull_request !== undefined && i.pull_request !== null,
    created_at: str(i.created_at),
    updated_at: str(i.updated_at),
    closed_at: str(i.closed_at),
    html_url: str(i.html_url),
    ...(full ? bounded(i.body) : {}),
  });
}

export function comment(c: Obj): Obj {
  return defined({
    id: c.id,
    user: login(c.user),
    created_at: str(c.created_at),
    updated_at: str(c.updated_at),
    html_url: str(c.html_url),
    ...bounded(c.body),
  });
}

const branch = (b: unknown) => {
  const o = obj(b);
  return defined({ ref: str(o.ref), label: str(o.label), sha: str(o.sha) });
};

export function pull(p: Obj, full = false): Obj {
  const counts = full
    ? Object.fromEntries(
        ['commits', 'additions', 'deletions', 'changed_files', 'comments', 'review_comments']
          .filter((k) => typeof p[k] === 'number')
          .map((k) => [k, p[k]]),
      )
    : {};
  return defined({
    number: p.number,
    title: str(p.title),
    state: str(p.state),
    draft: typeof p.draft === 'boolean' ? p.draft : undefined,
    merged: full && typeof p.merged === 'boolean' ? p.merged : undefined,
    mergeable: full && typeof p.mergeable === 'boolean' ? p.mergeable : undefined,
    mergeable_state: full ? str(p.mergeable_state) : undefined,
    user: login(p.user),
    head: branch(p.head),
    base: branch(p.base),
    labels: list(p.labels)
      .map(labelName)
      .filter((n) => n !== undefined),
    created_at: str(p.created_at),
    updated_at: str(p.updated_at),
    closed_at: str(p.closed_at),
    merged_at: str(p.merged_at),
    html_url: str(p.html_url),
    ...counts,
    ...(full ? bounded(p.body) : {}),
  });
}

/** A file's base64 content as text, when it is UTF-8 without NUL bytes; else how large the binary is. */
function decoded(content: string): Obj {
  const bytes = Buffer.from(content.replace(/\s+/g, ''), 'base64');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { binary: true };
  }
  if (text.includes('\u0000')) return { binary: true };
  return text.length > MAX_FILE_TEXT ? { text: text.slice(0, MAX_FILE_TEXT), text_truncated: true } : { text };
}

const entry = (e: Obj) =>
  defined({ name: str(e.name), path: str(e.path), type: str(e.type), size: e.size, sha: str(e.sha) });

/** What the contents API answered: a file (its text), a directory (its entries), a symlink or a submodule. */
export function contents(c: unknown): Obj {
  if (Array.isArray(c)) return { type: 'dir', entries: c.map((e) => entry(obj(e))) };
  const o = obj(c);
  const base = { ...entry(o), html_url: str(o.html_url) };
  if (o.type === 'file') {
    // Files of 1 to 100 MB come without content (encoding "none"): GitHub serves them raw only.
    if (o.encoding !== 'base64' || typeof o.content !== 'string')
      return defined({ ...base, too_large: true, encoding: str(o.encoding) });
    return defined({ ...base, ...decoded(o.content) });
  }
  if (o.type === 'symlink') return defined({ ...base, target: str(o.target) });
  if (o.type === 'submodule') return defined({ ...base, submodule_git_url: str(o.submodule_git_url) });
  return defined(base);
}

/** What a contents PUT answered: the file's new blob and the commit that wrote it. */
export function fileCommit(r: Obj): Obj {
  const c = obj(r.content);
  const commit = obj(r.commit);
  return {
    content: defined({ path: str(c.path), sha: str(c.sha), size: c.size, html_url: str(c.html_url) }),
    commit: defined({ sha: str(commit.sha), message: str(commit.message), html_url: str(commit.html_url) }),
  };
}
