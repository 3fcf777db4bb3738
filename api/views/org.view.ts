import type { OrganizationRow } from '../../core/db/rows.js';
import { publicSettings } from '../../core/org/org-settings.js';

/** The organization with its settings as anyone in it may see them (the webhook secret stays on the server). */
export function orgView(org: OrganizationRow) {
  return { id: org.id, name: org.name, settings: publicSettings(org.settings) };
}
