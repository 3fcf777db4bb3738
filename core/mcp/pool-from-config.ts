import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { EgressPolicy } from '../net/egress.js';
import { McpClientPool } from './client-pool.js';
import { StdioCommandPolicy } from './stdio-commands.js';

/** The worker's MCP client pool as the config says: sandbox settings, allowed commands, egress policy. */
export function mcpClientPoolFromConfig(config: Config, logger: Logger, egress: EgressPolicy): McpClientPool {
  return new McpClientPool({
    logger,
    sandbox: config.mcpSandbox,
    commands: new StdioCommandPolicy(config.mcpStdioCommands),
    egress,
  });
}
