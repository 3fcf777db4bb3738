/**
 * What GitHub's REST API does that CRUD inference cannot see. Repository contents are files, not resources:
 * PUT creates or replaces one (base64 content, the blob's git sha, a stale sha refused with 409 as GitHub
 * does), GET answers the file or, for a directory, its entries. A new pull request's head and base are
 * branch names in the request and objects in the answer; a new issue's assignees are logins in the request
 * and users in the answer. Issues, comments and pull requests are otherwise the generic emulator's.
 * Errors are GitHub's shape: `{message, documentation_url, status}` (the spec's `errors: "github"` gives the
 * generic emulator's errors the same shape).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Answer } from '../crud.js';
import { EmulatorError } from '../http-io.js';
import { isObject, type JsonObject } from '../openapi.js';
import type { ResourceRows } from '../rows.js';
import { bodyOf, type BehaviourContext, type BehaviourHandler } from './behaviour.js';

const CONTENTS = 'github:contents';
const DOCS = 'https://docs.github.com/rest/repos/contents';
const SANDBOX_USER = { name: 'Collexa Sandbox', email: 'sandbox@collexa.invalid' };

const error = (status: number, message: string, docs = DOCS): Answer => ({
  status,
  body: { message, documentation_url: docs, status: String(status) },
});
const sha1 = (data: string | Buffer) => createHash('sha1').update(data).digest('hex');
/** The git blob sha of a file's bytes, as `git hash-object` computes it. */
const blobSha = (bytes: Buffer) => sha1(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]));
// GitHub's base64 is wrapped at 60 characters.
const wrapped = (bytes: Buffer) => `${(bytes.toString('base64').match(/.{1,60}/g) ?? []).join('\n')}\n`;

interface Repo {
  owner: string;
  repo: string;
}

function links(r: Repo, path: string, sha: string, branch: string): JsonObject {
  const api = `https://api.github.com/repos/${r.owner}/${r.repo}`;
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  const self = `${api}/contents/${encoded}?ref=${encodeURIComponent(branch)}`;
  const html = `https://github.com/${r.owner}/${r.repo}/blob/${encodeURIComponent(branch)}/${encoded}`;
  const git = `${api}/git/blobs/${sha}`;
  return {
    url: self,
    html_url: html,
    git_url: git,
    download_url: `https://raw.githubusercontent.com/${r.owner}/${r.repo}/${encodeURIComponent(branch)}/${encoded}`,
    _links: { self, git, html },
  };
}

/** A file as a listing or a commit shows it: everything but its bytes. */
const withoutContent = (f: JsonObject): JsonObject =>
  Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'content' && k !== 'encoding'));
const fileKey = (r: Repo, path: string) => ({ collection: CONTENTS, parent: `/${r.owner}/${r.repo}`, id: path });
const cleanPath = (p: unknown) => String(p ?? '').replace(/^\/+|\/+$/g, '');

async function getContent(rows: ResourceRows, r: Repo, path: string): Promise<Answer> {
  const file = await rows.get(fileKey(r, path));
  if (file) return { status: 200, body: file };
  // A directory is every file below it: its entries are the next segment of their paths.
  const { items } = await rows.list(CONTENTS, `/${r.owner}/${r.repo}`, { filters: [], limit: 1000, offset: 0 });
  const prefix = path === '' ? '' : `${path}/`;
  const entries = new Map<string, JsonObject>();
  for (const f of items) {
    const p = String(f.path);
    if (!p.startsWith(prefix)) continue;
    const [name, ...rest] = p.slice(prefix.length).split('/');
    if (rest.length === 0) entries.set(name!, withoutContent(f));
    else if (!entries.has(name!)) entries.set(name!, { type: 'dir', name: name!, path: `${prefix}${name}`, size: 0 });
  }
  if (entries.size === 0) return error(404, 'Not Found', `${DOCS}#get-repository-content`);
  return { status: 200, body: [...entries.values()] };
}

async function putContent(rows: ResourceRows, r: Repo, path: string, body: JsonObject): Promise<Answer> {
  const docs = `${DOCS}#create-or-update-file-contents`;
  const content = typeof body.content === 'string' ? body.content : '';
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(content)) return error(422, 'content is not valid Base64', docs);
  if (path === '') return error(422, 'path cannot be empty', docs);
  const existing = await rows.get(fileKey(r, path));
  if (existing && body.sha === undefined) return error(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', docs);
  if (existing && body.sha !== existing.sha) return error(409, `${path} does not match ${String(body.sha)}`, docs);
  const bytes = Buffer.from(content.replace(/\s+/g, ''), 'base64');
  const sha = blobSha(bytes);
  const branch = typeof body.branch === 'string' ? body.branch : 'main';
  const file: JsonObject = {
    type: 'file',
    encoding: 'base64',
    size: bytes.length,
    name: path.split('/').at(-1)!,
    path,
    content: wrapped(bytes),
    sha,
    ...links(r, path, sha, branch),
  };
  const done = existing
    ? (await rows.update(fileKey(r, path), file))
      ? 'ok'
      : 'gone'
    : await rows.insert(fileKey(r, path), file);
  if (done === 'full') throw new EmulatorError(507, 'sandbox_full', 'The sandbox holds as many resources as it may');
  if (done !== 'ok') return error(409, `${path} changed meanwhile`, docs);
  const who = isObject(body.committer) ? body.committer : SANDBOX_USER;
  const person = {
    name: who.name ?? SANDBOX_USER.name,
    email: who.email ?? SANDBOX_USER.email,
    date: new Date().toISOString(),
  };
  const commitSha = sha1(randomBytes(20));
  const treeSha = sha1(randomBytes(20));
  const commit: JsonObject = {
    sha: commitSha,
    node_id: `C_${commitSha.slice(0, 20)}`,
    url: `https://api.github.com/repos/${r.owner}/${r.repo}/git/commits/${commitSha}`,
    html_url: `https://github.com/${r.owner}/${r.repo}/commit/${commitSha}`,
    author: isObject(body.author) ? { ...person, ...body.author } : person,
    committer: person,
    message: String(body.message ?? ''),
    tree: { sha: treeSha, url: `https://api.github.com/repos/${r.owner}/${r.repo}/git/trees/${treeSha}` },
    parents: [],
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null },
  };
  return { status: existing ? 200 : 201, body: { content: withoutContent(file), commit } };
}

/** A branch as a pull request shows it: `label` is owner:ref, `sha` stands in for its head commit. */
function branch(owner: string, name: string): JsonObject {
  const [who, ref] = name.includes(':')
    ? [name.slice(0, name.indexOf(':')), name.slice(name.indexOf(':') + 1)]
    : [owner, name];
  return { label: `${who}:${ref}`, ref, sha: sha1(`${who}:${ref}`), user: { login: who }, repo: null };
}

const repoOf = (ctx: BehaviourContext): Repo => ({
  owner: String(ctx.request.path.owner ?? ''),
  repo: String(ctx.request.path.repo ?? ''),
});

/** The GitHub behaviours by name, for `x-collexa-emulator.operations` to bind to the REST operations. */
export const githubBehaviours: Record<string, BehaviourHandler> = {
  'github.getContent': (ctx) => getContent(ctx.rows, repoOf(ctx), cleanPath(ctx.request.path.path)),
  'github.putContent': (ctx) =>
    putContent(ctx.rows, repoOf(ctx), cleanPath(ctx.request.path.path), bodyOf(ctx.request)),
  'github.createPull': (ctx) => {
    const body = bodyOf(ctx.request);
    const { owner } = repoOf(ctx);
    if (typeof body.head === 'string') body.head = branch(owner, body.head);
    if (typeof body.base === 'string') body.base = branch(owner, body.base);
    Object.assign(body, { closed_at: null, merged_at: null, merged: false, merged_by: null });
    return ctx.generic();
  },
  'github.createIssue': (ctx) => {
    const body = bodyOf(ctx.request);
    if (Array.isArray(body.assignees))
      body.assignees = body.assignees.map((login) => ({ login: String(login), type: 'User' }));
    Object.assign(body, { closed_at: null, state: 'open' });
    return ctx.generic();
  },
};
