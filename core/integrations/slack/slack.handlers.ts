import { requireCredential } from '../server/credential.js';
import type { IntegrationHandlers, ToolHandler } from '../server/handler.js';
import { VendorError } from '../server/vendor-error.js';
import { SlackApi } from './slack-api.js';
import { SLACK_API_URL, slackSpec } from './slack.spec.js';

type Obj = Record<string, unknown>;

// A message's text as a listing shows it: a history of 200 long messages must not fill the answer.
const LISTED_TEXT = 4000;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const defined = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** A message as the tools answer it: who, when, what, and its thread and reactions. */
function message(m: Obj, maxText = Infinity): Obj {
  const text = str(m.text) ?? '';
  return defined({
    ts: str(m.ts),
    user: str(m.user),
    bot_id: str(m.bot_id),
    subtype: str(m.subtype),
    text: text.length > maxText ? `${text.slice(0, maxText)}…` : text,
    text_truncated: text.length > maxText ? true : undefined,
    thread_ts: str(m.thread_ts),
    reply_count: num(m.reply_count),
    latest_reply: str(m.latest_reply),
    edited: m.edited ? true : undefined,
    reactions: Array.isArray(m.reactions)
      ? list(m.reactions).map((r) => ({ name: str(r.name), count: num(r.count) }))
      : undefined,
    files: Array.isArray(m.files) ? list(m.files).map((f) => defined({ id: str(f.id), name: str(f.name) })) : undefined,
  });
}

function channel(c: Obj): Obj {
  return defined({
    id: str(c.id),
    name: str(c.name),
    is_private: typeof c.is_private === 'boolean' ? c.is_private : undefined,
    is_archived: typeof c.is_archived === 'boolean' ? c.is_archived : undefined,
    is_member: typeof c.is_member === 'boolean' ? c.is_member : undefined,
    is_im: c.is_im === true ? true : undefined,
    user: str(c.user),
    num_members: num(c.num_members),
    topic: str(obj(c.topic).value) || undefined,
    purpose: str(obj(c.purpose).value) || undefined,
  });
}

const nextCursor = (body: Obj) => str(obj(body.response_metadata).next_cursor) ?? '';

/** chat.postMessage, for post_message and reply_in_thread (a thread_ts in the form). */
async function post(client: SlackApi, form: Record<string, string>, signal: AbortSignal) {
  const body = await client.call('chat.postMessage', { form, signal });
  return { channel: str(body.channel), ts: str(body.ts), message: message(obj(body.message)) };
}

const tools: Record<string, ToolHandler<SlackApi>> = {
  post_message: (args, { client, signal }) =>
    post(client, { channel: args.channel as string, text: args.text as string }, signal),

  update_message: async (args, { client, signal }) => {
    const body = await client.call('chat.update', {
      form: { channel: args.channel as string, ts: args.ts as string, text: args.text as string },
      signal,
    });
    return { channel: str(body.channel), ts: str(body.ts), text: str(body.text), message: message(obj(body.message)) };
  },

  reply_in_thread: (args, { client, signal }) =>
    post(
      client,
      { channel: args.channel as string, thread_ts: args.thread_ts as string, text: args.text as string },
      signal,
    ),

  list_channels: async (args, { client, signal }) => {
    const body = await client.call('conversations.list', {
      query: {
        types: Array.isArray(args.types) ? args.types.join(',') : undefined,
        exclude_archived: args.exclude_archived as boolean | undefined,
        limit: (args.limit as number | undefined) ?? 100,
        cursor: (args.cursor as string | undefined) || undefined,
      },
      signal,
    });
    return { channels: list(body.channels).map(channel), next_cursor: nextCursor(body) };
  },

  read_history: async (args, { client, signal }) => {
    const body = await client.call('conversations.history', {
      query: {
        channel: args.channel as string,
        limit: (args.limit as number | undefined) ?? 50,
        oldest: args.oldest as string | undefined,
        latest: args.latest as string | undefined,
        cursor: (args.cursor as string | undefined) || undefined,
      },
      signal,
    });
    return {
      channel: args.channel,
      messages: list(body.messages).map((m) => message(m, LISTED_TEXT)),
      has_more: body.has_more === true,
      next_cursor: nextCursor(body),
    };
  },

  add_reaction: async (args, { client, signal }) => {
    const form = { channel: args.channel as string, timestamp: args.timestamp as string, name: args.name as string };
    await client.call('reactions.add', { form, signal });
    return { ok: true, ...form };
  },

  // files.upload is the method the shipped description has; Slack now recommends
  // files.getUploadURLExternal + files.completeUploadExternal, which it does not describe.
  upload_text_file: async (args, { client, signal }) => {
    const body = await client.call('files.upload', {
      form: {
        content: args.content as string,
        filename: args.filename as string,
        filetype: 'text',
        channels: Array.isArray(args.channels) ? args.channels.join(',') : undefined,
        title: args.title as string | undefined,
        initial_comment: args.initial_comment as string | undefined,
      },
      signal,
    });
    const f = obj(body.file);
    return {
      file: defined({
        id: str(f.id),
        name: str(f.name),
        title: str(f.title),
        filetype: str(f.filetype),
        size: num(f.size),
        permalink: str(f.permalink),
        channels: Array.isArray(f.channels) ? f.channels : undefined,
      }),
    };
  },
};

/** Slack's handlers: a Web API client with the bot token, one handler per tool. */
export const slackHandlers: IntegrationHandlers<SlackApi> = {
  spec: slackSpec,
  connect(settings, credential) {
    const token = requireCredential('Slack', credential).trim();
    if (!/^xox[a-z]?[.-]/.test(token))
      throw new VendorError(
        'Slack',
        401,
        'invalid_credential',
        'Slack: the credential secret must be a Slack token (xoxb-…)',
      );
    return new SlackApi({
      baseUrl: settings.endpoints.api ?? SLACK_API_URL,
      token,
      sandbox: settings.sandbox !== undefined,
    });
  },
  secretsOf: (credential) => [credential.trim()],
  tools,
};

export default slackHandlers;
