/**
 * Jira's issues as the emulator keeps them: one row per issue (an IssueBean: `id`, `key`, `self`, `fields`),
 * numbered as Jira numbers them (ids from 10000, keys `PROJ-1`, `PROJ-2` per project), edited through
 * `fields` and `update` operations, moved through the spec's workflow (`fields.status`), assigned, and
 * commented on (`fields.comment`, as Jira's own issue answer holds them). Messages are Jira's.
 */
import { z } from 'zod';
import type { Answer } from '../crud.js';
import { EmulatorError } from '../http-io.js';
import type { Inference } from '../inference.js';
import { setOwn, type JsonObject } from '../openapi.js';
import {
  atlassianTime,
  bodyOf,
  collectionOf,
  insert,
  itemOf,
  objectAt,
  save,
  stringAt,
  type BehaviourContext,
  type BehaviourHandler,
} from './behaviour.js';
import { applyUpdate, edit, fieldError, projectOf } from './jira-fields.js';

const Id = z.string().min(1).max(50);
export const JiraOptions = z.strictObject({
  /** The issues' collection (`/rest/api/3/issue`). */
  issues: z.string().min(1).max(500),
  statuses: z
    .array(
      z.strictObject({ id: Id, name: z.string().min(1).max(100), category: z.enum(['new', 'indeterminate', 'done']) }),
    )
    .min(1)
    .max(50),
  /** The workflow's transitions, all global (Jira's simplified workflow): the first status is a new issue's. */
  transitions: z.array(z.strictObject({ id: Id, name: z.string().min(1).max(100), to: Id })).max(100),
});
export type JiraOptions = z.infer<typeof JiraOptions>;

const CATEGORIES = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};
const MAX_COMMENTS = 5000;
const NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';

/** The Jira behaviours, by name, over the spec's issue collection. */
export function jiraBehaviours(options: JiraOptions, inference: Inference): Record<string, BehaviourHandler> {
  const issues = collectionOf(inference, options.issues);
  if (!issues?.itemPath) throw new Error(`jira.issues names no collection with items: ${options.issues}`);
  const statusById = new Map(options.statuses.map((s) => [s.id, s]));
  for (const t of options.transitions)
    if (!statusById.has(t.to)) throw new Error(`the transition ${t.id} goes to no status of jira.statuses`);
  const status = (id: string, origin: string): JsonObject => {
    const s = statusById.get(id) ?? options.statuses[0]!;
    return {
      self: `${origin}/rest/api/3/status/${s.id}`,
      description: '',
      iconUrl: `${origin}/images/icons/statuses/generic.png`,
      name: s.name,
      id: s.id,
      statusCategory: {
        self: `${origin}/rest/api/3/statuscategory/${CATEGORIES[s.category].id}`,
        ...CATEGORIES[s.category],
      },
    };
  };
  const issueOf = (ctx: BehaviourContext) => itemOf(ctx, issues, NOT_FOUND);

  const createIssue = async (ctx: BehaviourContext): Promise<Answer> => {
    const given = objectAt(bodyOf(ctx.request).fields) ?? {};
    const all = await ctx.rows.scan(issues.key, '');
    const project = projectOf(objectAt(given.project), all, ctx.origin);
    const errors: Record<string, string> = {};
    if (!project) errors.project = 'Specify a valid project ID or key';
    if (typeof given.summary !== 'string' || given.summary.trim() === '')
      errors.summary = 'You must specify a summary of the issue.';
    const type = objectAt(given.issuetype);
    if (!type || (stringAt(type.name) === undefined && stringAt(type.id) === undefined))
      errors.issuetype = 'Specify an issue type';
    if (Object.keys(errors).length > 0) throw fieldError(errors);
    const projectKey = stringAt(project!.key)!;
    const numbers = all.flatMap((i) => {
      const m = /^(.+)-(\d{1,12})$/.exec(stringAt(i.key) ?? '');
      return m && m[1] === projectKey ? [Number(m[2])] : [];
    });
    const n = await ctx.rows.nextInteger(`${issues.key}#${projectKey}`, Math.max(0, ...numbers) + 1);
    const id = String(await ctx.rows.nextInteger(issues.key, 10000));
    const now = atlassianTime();
    const self = `${ctx.origin}${issues.path}/${id}`;
    const fields: JsonObject = {};
    for (const [k, v] of Object.entries(given)) setOwn(fields, k, v);
    Object.assign(fields, {
      project: project!,
      issuetype: { ...type!, subtask: false },
      status: status(options.statuses[0]!.id, ctx.origin),
      resolution: null,
      assignee: objectAt(given.assignee) ?? null,
      description: given.description ?? null,
      labels: Array.isArray(given.labels) ? given.labels : [],
      created: now,
      updated: now,
      statuscategorychangedate: now,
      comment: { comments: [], maxResults: 0, total: 0, startAt: 0 },
    });
    applyUpdate(fields, objectAt(bodyOf(ctx.request).update));
    const issue: JsonObject = {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id,
      key: `${projectKey}-${n}`,
      self,
      fields,
    };
    await insert(ctx, { collection: issues.key, parent: '', id }, issue);
    return { status: 201, body: { id, key: issue.key as string, self } };
  };

  const editIssue = async (ctx: BehaviourContext): Promise<Answer> => {
    const issue = await issueOf(ctx);
    const fields = { ...(objectAt(issue.body.fields) ?? {}) };
    edit(fields, bodyOf(ctx.request));
    fields.updated = atlassianTime();
    await save(ctx, issue.key, { ...issue.body, fields });
    return { status: 204 };
  };

  const assignIssue = async (ctx: BehaviourContext): Promise<Answer> => {
    const issue = await issueOf(ctx);
    const accountId = stringAt(bodyOf(ctx.request).accountId);
    if (accountId === undefined) throw new EmulatorError(400, 'invalid_fields', 'accountId must be provided');
    const assignee =
      accountId === '-1'
        ? null
        : { self: `${ctx.origin}/rest/api/3/user?accountId=${encodeURIComponent(accountId)}`, accountId, active: true };
    const fields = { ...(objectAt(issue.body.fields) ?? {}), assignee, updated: atlassianTime() };
    await save(ctx, issue.key, { ...issue.body, fields });
    return { status: 204 };
  };

  const addComment = async (ctx: BehaviourContext): Promise<Answer> => {
    const issue = await issueOf(ctx);
    const fields = { ...(objectAt(issue.body.fields) ?? {}) };
    const thread = objectAt(fields.comment) ?? {};
    const comments = Array.isArray(thread.comments) ? thread.comments : [];
    if (comments.length >= MAX_COMMENTS)
      throw new EmulatorError(403, 'comment_limit', `The issue has reached the limit of ${MAX_COMMENTS} comments.`);
    const id = String(await ctx.rows.nextInteger(`${issues.key}#comments`, 10000));
    const now = atlassianTime();
    const given = bodyOf(ctx.request);
    const comment: JsonObject = {
      self: `${issue.body.self as string}/comment/${id}`,
      id,
      body: given.body ?? null,
      created: now,
      updated: now,
      jsdPublic: true,
      ...(given.visibility !== undefined ? { visibility: given.visibility } : {}),
    };
    const all = [...comments, comment];
    fields.comment = { comments: all, maxResults: all.length, total: all.length, startAt: 0 };
    fields.updated = now;
    await save(ctx, issue.key, { ...issue.body, fields });
    return { status: 201, body: comment };
  };

  const available = (issue: JsonObject) => {
    const current = stringAt(objectAt(objectAt(issue.fields)?.status)?.id);
    return options.transitions.filter((t) => t.to !== current);
  };

  const listTransitions = async (ctx: BehaviourContext): Promise<Answer> => {
    const issue = await issueOf(ctx);
    const only = stringAt(ctx.request.query.transitionId);
    const transitions = available(issue.body)
      .filter((t) => only === undefined || t.id === only)
      .map((t) => ({
        id: t.id,
        name: t.name,
        to: status(t.to, ctx.origin),
        hasScreen: false,
        isGlobal: true,
        isInitial: false,
        isAvailable: true,
        isConditional: false,
        isLooped: false,
      }));
    return { status: 200, body: { expand: 'transitions', transitions } };
  };

  const doTransition = async (ctx: BehaviourContext): Promise<Answer> => {
    const issue = await issueOf(ctx);
    const given = bodyOf(ctx.request);
    const id = stringAt(objectAt(given.transition)?.id);
    if (id === undefined) throw new EmulatorError(400, 'invalid_transition', "Missing 'transition' identifier");
    const t = available(issue.body).find((x) => x.id === id);
    if (!t) throw new EmulatorError(400, 'invalid_transition', `Transition id '${id}' is not valid for this issue.`);
    const fields = { ...(objectAt(issue.body.fields) ?? {}) };
    edit(fields, given);
    const now = atlassianTime();
    const done = statusById.get(t.to)!.category === 'done';
    Object.assign(fields, {
      status: status(t.to, ctx.origin),
      resolution: done ? { id: '10000', name: 'Done', description: 'Work has been completed on this issue.' } : null,
      resolutiondate: done ? now : null,
      statuscategorychangedate: now,
      updated: now,
    });
    await save(ctx, issue.key, { ...issue.body, fields });
    return { status: 204 };
  };

  return {
    'jira.createIssue': createIssue,
    'jira.editIssue': editIssue,
    'jira.assignIssue': assignIssue,
    'jira.addComment': addComment,
    'jira.listTransitions': listTransitions,
    'jira.doTransition': doTransition,
  };
}
