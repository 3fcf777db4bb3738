/**
 * How a Jira issue's fields change: a create's project (projects are implicit in a sandbox), and an edit's
 * `fields` (set) and `update` (set, add, remove, edit operations), with Jira's refusals.
 */
import { EmulatorError } from '../http-io.js';
import { isObject, setOwn, type Json, type JsonObject } from '../openapi.js';
import { objectAt, stringAt } from './behaviour.js';

// Fields an edit may not set: Jira answers them as not on the edit screen.
const NOT_EDITABLE = new Set(['project', 'status', 'created', 'updated', 'comment', 'resolution', 'key', 'id']);

/** A 400 naming the fields at fault, as Jira lists them (`errors`: field → message). */
export const fieldError = (errors: Record<string, string>) =>
  new EmulatorError(400, 'invalid_fields', Object.values(errors).join(' '), { fieldErrors: errors });

/**
 * The project a create names (`{key}` or `{id}`). Projects are implicit in a sandbox: a key names one (its id
 * that of the project's earlier issues, else a new one); an id must be one an earlier issue's project has.
 */
export function projectOf(given: JsonObject | undefined, issues: JsonObject[], origin: string): JsonObject | undefined {
  const projects = issues.map((i) => objectAt(objectAt(i.fields)?.project)).filter((p): p is JsonObject => !!p);
  const key = stringAt(given?.key)?.toUpperCase();
  const id = stringAt(given?.id);
  const known = projects.find((p) => (key !== undefined ? p.key === key : p.id === id));
  if (known) return known;
  if (key === undefined || !/^[A-Z][A-Z0-9_]{0,9}$/.test(key)) return undefined;
  const ids = projects.map((p) => Number(p.id)).filter(Number.isInteger);
  const newId = String(Math.max(9999, ...ids) + 1);
  return { self: `${origin}/rest/api/3/project/${newId}`, id: newId, key, name: key, projectTypeKey: 'software' };
}

/** Applies an edit's `fields` (set) and `update` (set/add/remove/edit operations) to `fields`, in place. */
export function edit(fields: JsonObject, body: JsonObject): void {
  const set = objectAt(body.fields) ?? {};
  const update = objectAt(body.update) ?? {};
  const errors: Record<string, string> = {};
  for (const name of [...Object.keys(set), ...Object.keys(update)]) {
    if (NOT_EDITABLE.has(name))
      errors[name] = `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`;
    else if (Object.hasOwn(set, name) && Object.hasOwn(update, name))
      errors[name] = `Field '${name}' cannot be set in both 'fields' and 'update'.`;
  }
  if (Object.keys(errors).length > 0) throw fieldError(errors);
  for (const [k, v] of Object.entries(set)) setOwn(fields, k, v);
  applyUpdate(fields, update);
}

export function applyUpdate(fields: JsonObject, update: JsonObject | undefined): void {
  for (const [name, ops] of Object.entries(update ?? {})) {
    if (!Array.isArray(ops)) continue;
    for (const op of ops) {
      if (!isObject(op)) continue;
      const list = Array.isArray(fields[name]) ? [...(fields[name] as Json[])] : [];
      if (Object.hasOwn(op, 'set')) setOwn(fields, name, op.set!);
      else if (Object.hasOwn(op, 'edit')) setOwn(fields, name, op.edit!);
      else if (Object.hasOwn(op, 'add'))
        setOwn(fields, name, list.some((v) => same(v, op.add!)) ? list : [...list, op.add!]);
      else if (Object.hasOwn(op, 'remove'))
        setOwn(
          fields,
          name,
          list.filter((v) => !same(v, op.remove!)),
        );
    }
  }
}

/** Whether two values are one: equal JSON, or objects naming the same id, key, name or accountId. */
function same(a: Json, b: Json): boolean {
  if (JSON.stringify(a) === JSON.stringify(b)) return true;
  if (!isObject(a) || !isObject(b)) return false;
  return ['id', 'key', 'name', 'accountId'].some((k) => b[k] !== undefined && a[k] === b[k]);
}
