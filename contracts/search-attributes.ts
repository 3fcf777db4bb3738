import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Collexa's custom search attributes: registered by `npm start` and docker-compose, set by workflows. */
export const OrgIdKey = defineSearchAttributeKey('CollexaOrgId', SearchAttributeType.KEYWORD);
export const AgentIdKey = defineSearchAttributeKey('CollexaAgentId', SearchAttributeType.KEYWORD);
export const CapabilityKey = defineSearchAttributeKey('CollexaCapability', SearchAttributeType.KEYWORD);
export const StatusKey = defineSearchAttributeKey('CollexaStatus', SearchAttributeType.KEYWORD);

/** Name → Temporal CLI type, for `temporal server start-dev --search-attribute` and `operator search-attribute create`. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword'> = {
  [OrgIdKey.name]: 'Keyword',
  [AgentIdKey.name]: 'Keyword',
  [CapabilityKey.name]: 'Keyword',
  [StatusKey.name]: 'Keyword',
};
