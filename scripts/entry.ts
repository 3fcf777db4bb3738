import { loadConfig, type Config } from '../core/config.js';
import { StartupError } from '../core/errors.js';

/** For the scripts' entry points: a StartupError is printed and becomes the exit code; anything else is rethrown. */
export function exitOnStartupError(err: unknown): never {
  if (err instanceof StartupError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err.exitCode);
  }
  throw err;
}

/** The config, or why not on stderr and exit 78 (EX_CONFIG). */
export function configOrExit(source: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(source);
  } catch (err) {
    return exitOnStartupError(err);
  }
}
