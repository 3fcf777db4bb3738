import path from 'node:path';

/** The folder an org's servers may be given files in: `<root>/<orgId>` (WORKSPACE_ROOT). */
export function orgWorkspace(root: string, orgId: string): string {
  return path.join(path.resolve(root), orgId);
}

/** A path given for an org's server lies outside its workspace. */
export class OutsideWorkspaceError extends Error {
  constructor(
    readonly given: string,
    readonly workspace: string,
  ) {
    super(`${given} is outside the organization's workspace ${workspace}`);
  }
}

/**
 * `given` as an absolute path inside the org's workspace: relative paths are taken from the workspace,
 * absolute ones must lie in it. Lexical (no `..` escapes); the worker re-checks real paths when it
 * mounts them, so a symlink planted later cannot lead outside either.
 */
export function inWorkspace(root: string, orgId: string, given: string): string {
  const workspace = orgWorkspace(root, orgId);
  const resolved = path.resolve(workspace, given);
  if (resolved !== workspace && !resolved.startsWith(`${workspace}${path.sep}`))
    throw new OutsideWorkspaceError(given, workspace);
  return resolved;
}
