/**
 * Slack's Web API is RPC (`POST /chat.postMessage`), which no CRUD inference sees as state. This keeps
 * messages per channel: chat.postMessage (a thread reply with thread_ts), chat.update, reactions.add and
 * conversations.history read and write them (each bound by the spec's `x-collexa-emulator.operations`); every
 * other method answers its example. Failures are Slack's
 * own: HTTP 200 with `{ok: false, error}`. The bot is one user; channels are taken as given (no membership).
 */
import type { Answer } from '../crud.js';
import { EmulatorError } from '../http-io.js';
import { isObject, type Json, type JsonObject } from '../openapi.js';
import type { ResourceRows } from '../rows.js';
import { bodyOf, type BehaviourHandler } from './behaviour.js';

const MESSAGES = 'slack:messages';
const BOT_USER = 'U0COLLEXA';
const BOT_ID = 'B0COLLEXA';
// A history reads at most this many of a channel's newest messages; Slack pages at 999.
const MAX_SCAN = 1000;
const MAX_PAGE = 999;

const ok = (body: JsonObject): Answer => ({ status: 200, body: { ok: true, ...body } });
const fail = (error: string): Answer => ({ status: 200, body: { ok: false, error } });
const text = (v: Json | undefined) => (typeof v === 'string' ? v : undefined);

let sequence = 0;
/** A new `ts`: seconds, then six digits unique within this process's millisecond. */
function newTs(): string {
  const ms = Date.now();
  sequence = (sequence + 1) % 1000;
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + sequence).padStart(6, '0')}`;
}

const key = (channel: string, ts: string) => ({ collection: MESSAGES, parent: channel, id: ts });

/** A message row of `channel`, stored under a ts of its own. */
async function insert(rows: ResourceRows, channel: string, message: JsonObject): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const ts = newTs();
    const done = await rows.insert(key(channel, ts), { ...message, ts });
    if (done === 'ok') return ts;
    if (done === 'full') throw new EmulatorError(507, 'sandbox_full', 'The sandbox holds as many resources as it may');
  }
  throw new EmulatorError(409, 'conflict', 'No free ts was found for the message');
}

async function postMessage(rows: ResourceRows, body: JsonObject): Promise<Answer> {
  const channel = text(body.channel);
  const said = text(body.text) ?? '';
  if (!channel) return fail('channel_not_found');
  if (said === '' && body.blocks === undefined && body.attachments === undefined) return fail('no_text');
  const message: JsonObject = { type: 'message', user: BOT_USER, bot_id: BOT_ID, text: said };
  const threadTs = text(body.thread_ts);
  let parent: JsonObject | undefined;
  if (threadTs) {
    parent = await rows.get(key(channel, threadTs));
    if (!parent) return fail('thread_not_found');
    // A reply to a reply joins its parent's thread.
    message.thread_ts = text(parent.thread_ts) ?? threadTs;
    message.parent_user_id = text(parent.user) ?? BOT_USER;
    if (body.reply_broadcast === true) message.subtype = 'thread_broadcast';
  }
  const ts = await insert(rows, channel, message);
  if (parent) {
    const rootTs = text(message.thread_ts)!;
    const root = rootTs === threadTs ? parent : ((await rows.get(key(channel, rootTs))) ?? parent);
    const users = [...new Set([...(Array.isArray(root.reply_users) ? root.reply_users : []), BOT_USER])];
    await rows.update(key(channel, rootTs), {
      ...root,
      thread_ts: rootTs,
      reply_count: (typeof root.reply_count === 'number' ? root.reply_count : 0) + 1,
      reply_users: users,
      reply_users_count: users.length,
      latest_reply: ts,
    });
  }
  return ok({ channel, ts, message: { ...message, ts } });
}

async function update(rows: ResourceRows, body: JsonObject): Promise<Answer> {
  const [channel, ts] = [text(body.channel) ?? '', text(body.ts) ?? ''];
  const existing = await rows.get(key(channel, ts));
  if (!existing) return fail('message_not_found');
  if (existing.user !== BOT_USER) return fail('cant_update_message');
  const said = text(body.text) ?? text(existing.text) ?? '';
  const next = { ...existing, text: said, edited: { user: BOT_USER, ts: newTs() } };
  await rows.update(key(channel, ts), next);
  return ok({ channel, ts, text: said, message: { text: said, user: BOT_USER } });
}

async function react(rows: ResourceRows, body: JsonObject): Promise<Answer> {
  const [channel, ts, name] = [text(body.channel) ?? '', text(body.timestamp) ?? '', text(body.name) ?? ''];
  const existing = await rows.get(key(channel, ts));
  if (!existing) return fail('message_not_found');
  const reactions = (Array.isArray(existing.reactions) ? existing.reactions : []).filter(isObject);
  const same = reactions.find((r) => r.name === name);
  const users = same && Array.isArray(same.users) ? same.users : [];
  if (users.includes(BOT_USER)) return fail('already_reacted');
  const next = same
    ? reactions.map((r) => (r === same ? { ...r, users: [...users, BOT_USER], count: users.length + 1 } : r))
    : [...reactions, { name, users: [BOT_USER], count: 1 }];
  await rows.update(key(channel, ts), { ...existing, reactions: next });
  return ok({});
}

const cursorOf = (ts: string) => Buffer.from(`next_ts:${ts}`).toString('base64');
const fromCursor = (cursor: string) => /^next_ts:(\d{10}\.\d{6})$/.exec(Buffer.from(cursor, 'base64').toString())?.[1];

/** A channel's messages newest first: its top-level ones and broadcast replies, within oldest/latest. */
async function history(rows: ResourceRows, query: JsonObject): Promise<Answer> {
  const channel = text(query.channel);
  if (!channel) return fail('channel_not_found');
  const { total } = await rows.list(MESSAGES, channel, { filters: [], limit: 0, offset: 0 });
  const { items } = await rows.list(MESSAGES, channel, {
    filters: [],
    limit: MAX_SCAN,
    offset: Math.max(0, total - MAX_SCAN),
  });
  const bound = (v: Json | undefined) => (v === undefined || v === null || v === '' ? undefined : Number(v));
  const [oldest, latest] = [bound(query.oldest), bound(query.latest)];
  const inclusive = query.inclusive === true;
  const before = typeof query.cursor === 'string' && query.cursor !== '' ? fromCursor(query.cursor) : undefined;
  if (typeof query.cursor === 'string' && query.cursor !== '' && !before) return fail('invalid_cursor');
  const shown = items
    .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast')
    .filter((m) => {
      const t = Number(m.ts);
      if (oldest !== undefined && (inclusive ? t < oldest : t <= oldest)) return false;
      if (latest !== undefined && (inclusive ? t > latest : t >= latest)) return false;
      return before === undefined || String(m.ts) < before;
    })
    .sort((a, b) => (String(a.ts) < String(b.ts) ? 1 : -1));
  const limit = Math.min(typeof query.limit === 'number' && query.limit > 0 ? query.limit : 100, MAX_PAGE);
  const page = shown.slice(0, limit);
  const more = shown.length > limit;
  return ok({
    messages: page,
    has_more: more,
    pin_count: 0,
    channel_actions_ts: null,
    channel_actions_count: 0,
    response_metadata: { next_cursor: more ? cursorOf(String(page.at(-1)!.ts)) : '' },
  });
}

/** The Slack behaviours by name, for `x-collexa-emulator.operations` to bind to the Web API's methods. */
export const slackBehaviours: Record<string, BehaviourHandler> = {
  'slack.postMessage': (ctx) => postMessage(ctx.rows, bodyOf(ctx.request)),
  'slack.update': (ctx) => update(ctx.rows, bodyOf(ctx.request)),
  'slack.addReaction': (ctx) => react(ctx.rows, bodyOf(ctx.request)),
  'slack.history': (ctx) => history(ctx.rows, ctx.request.query),
};
