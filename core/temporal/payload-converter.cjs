// Bundled into the workflow code (bundleWorkflowCode's payloadConverterPath): the default JSON payload
// converter, plus the org of the running workflow (its CollexaOrgId search attribute) in each payload's
// metadata, so the encryption codec (which sees payloads, not workflows) can bind every payload a workflow
// writes to its org. Outside a workflow (clients, activities) it stamps nothing: see core/temporal/payload-org.ts.
const { DefaultPayloadConverter } = require('@temporalio/common');
const workflow = require('@temporalio/workflow');

const ORG_METADATA_KEY = 'collexa-org-id';
const encoder = new globalThis.TextEncoder();

function workflowOrg() {
  if (!workflow.inWorkflowContext()) return undefined;
  const value = workflow.workflowInfo().searchAttributes?.CollexaOrgId;
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

class OrgStampingPayloadConverter {
  constructor() {
    this.inner = new DefaultPayloadConverter();
  }

  toPayload(value, context, hint) {
    const payload = this.inner.toPayload(value, context, hint);
    const org = workflowOrg();
    if (payload && org) payload.metadata = { ...payload.metadata, [ORG_METADATA_KEY]: encoder.encode(org) };
    return payload;
  }

  fromPayload(payload, context, hint) {
    return this.inner.fromPayload(payload, context, hint);
  }
}

exports.ORG_METADATA_KEY = ORG_METADATA_KEY;
exports.payloadConverter = new OrgStampingPayloadConverter();
