import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { onPath } from './sandbox-tools.js';

/** The MCP server packages Collexa ships templates for: allowed as stdio commands by default. */
export const SHIPPED_PACKAGES = [
  '@modelcontextprotocol/server-everything',
  '@modelcontextprotocol/server-filesystem',
  '@modelcontextprotocol/server-memory',
  '@ivotoby/openapi-mcp-server',
] as const;

/** The default MCP_STDIO_COMMANDS: the Node runtime Collexa runs on and the shipped packages. */
export const DEFAULT_STDIO_COMMANDS: readonly string[] = [process.execPath, ...SHIPPED_PACKAGES];

/** A stdio command the operator has not allowed (MCP_STDIO_COMMANDS), with the reason. */
export class StdioCommandRefused extends Error {
  constructor(
    message: string,
    readonly allowed: string[],
  ) {
    super(message);
    this.name = 'StdioCommandRefused';
  }
}

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/**
 * Which executables stdio MCP servers may run, from MCP_STDIO_COMMANDS: absolute paths of programs
 * (compared by real path) and npm package names (run as `node <the package's bin>` from node_modules).
 */
export class StdioCommandPolicy {
  private readonly executables = new Map<string, string>();
  private readonly packages = new Set<string>();

  constructor(readonly entries: readonly string[] = DEFAULT_STDIO_COMMANDS) {
    for (const e of entries) {
      if (path.isAbsolute(e)) {
        if (existsSync(e)) this.executables.set(realpathSync(e), e);
      } else if (PACKAGE_NAME.test(e)) this.packages.add(e);
      else throw new Error(`MCP_STDIO_COMMANDS entry "${e}" is neither an absolute path nor an npm package name`);
    }
  }

  /**
   * The command as it will run: an allowed executable (a bare name is looked up on PATH) with its args, or
   * an allowed package (named as the command, or as `npx [-y] <package>[@version]`) turned into the
   * runtime plus the package's bin. Throws StdioCommandRefused for anything else.
   */
  resolve(command: string, args: string[]): { command: string; args: string[] } {
    const npx = command === 'npx' || command.endsWith('/npx');
    if (npx) {
      const rest = [...args];
      while (rest[0] !== undefined && /^(-y|--yes|-q|--quiet)$/.test(rest[0])) rest.shift();
      const spec = rest.shift() ?? '';
      return this.packageCommand(spec.replace(/(.)@[^/@]*$/, '$1'), rest, `npx ${spec}`);
    }
    if (!path.isAbsolute(command) && PACKAGE_NAME.test(command) && this.packages.has(command))
      return this.packageCommand(command, args, command);
    const found = path.isAbsolute(command) ? command : onPath(command);
    const real = found && existsSync(found) ? realpathSync(found) : undefined;
    if (!real || !this.executables.has(real)) throw this.refused(`"${command}" is not an allowed stdio command`);
    return { command: real, args };
  }

  /** Whether a stored (already resolved) command may still run: the operator may have narrowed the list. */
  allows(command: string): boolean {
    return existsSync(command) && this.executables.has(realpathSync(command));
  }

  private packageCommand(name: string, args: string[], shown: string): { command: string; args: string[] } {
    if (!this.packages.has(name))
      throw this.refused(
        `"${shown}" is not an allowed stdio command (package ${name || '(none)'} is not in MCP_STDIO_COMMANDS)`,
      );
    const bin = packageBin(name);
    if (!bin)
      throw this.refused(`package ${name} is allowed but not installed in ${path.join(PROJECT_ROOT, 'node_modules')}`);
    const runtime = realpathSync(process.execPath);
    if (!this.executables.has(runtime))
      throw this.refused(
        `package ${name} needs the Node runtime ${process.execPath}, which is not in MCP_STDIO_COMMANDS`,
      );
    return { command: runtime, args: [bin, ...args] };
  }

  private refused(message: string): StdioCommandRefused {
    return new StdioCommandRefused(`${message}; the operator allows: ${this.entries.join(', ')}`, [...this.entries]);
  }
}

/** The file a package's bin points at (its only or first bin), if the package is installed. */
export function packageBin(name: string): string | undefined {
  const dir = path.join(PROJECT_ROOT, 'node_modules', name);
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> };
  const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin ? Object.values(pkg.bin)[0] : undefined;
  return rel ? path.join(dir, rel) : undefined;
}
