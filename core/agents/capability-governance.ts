import type { NewCapability } from '../db/agent.repository.js';
import type { CapabilityRow } from '../db/rows.js';
import { forbidden } from '../errors.js';
import { isBelow } from '../severity.js';

/** What an audit event shows of a capability: enough to see a weakened governance at a glance. */
export function capabilitySummary(c: Pick<CapabilityRow, 'name' | 'server_id' | 'tool' | 'risk' | 'pinned_hash'>) {
  return { name: c.name, serverId: c.server_id, tool: c.tool, risk: c.risk, pinnedHash: c.pinned_hash };
}

/**
 * The capabilities an update may write. A capability kept under the same name keeps its pin (its tool
 * definition and hash): accepting a changed definition is the admin-only repin, never a side effect of an
 * edit. Lowering a capability's risk or binding it to another tool weakens what governs it: only an admin
 * may, and the audit event shows both sides.
 */
export function governedCapabilities(
  before: CapabilityRow[],
  after: NewCapability[],
  isAdmin: boolean,
): NewCapability[] {
  const old = new Map(before.map((c) => [c.name, c]));
  return after.map((c) => {
    const prev = old.get(c.name);
    if (!prev) return c;
    const rebound = prev.server_id !== c.server_id || prev.tool !== c.tool;
    const lowered = isBelow(c.risk, prev.risk);
    if (!isAdmin && (rebound || lowered)) {
      const what = rebound
        ? `binding capability "${c.name}" to another tool`
        : `lowering the risk of capability "${c.name}" from ${prev.risk} to ${c.risk}`;
      throw forbidden(`Changing governance (${what}) needs the admin role`, {
        capability: c.name,
        from: { tool: prev.tool, risk: prev.risk },
        to: { tool: c.tool, risk: c.risk },
      });
    }
    return rebound ? c : { ...c, tool_definition: prev.tool_definition, pinned_hash: prev.pinned_hash };
  });
}
