import { badRequest } from '../errors.js';
import { EgressDenied, type EgressPolicy } from './egress.js';

/** Refuses a URL a tenant names in `field` unless the egress policy allows it: a 400 egress_denied naming the field. */
export async function checkEgressField(egress: EgressPolicy, url: string, field: string): Promise<void> {
  try {
    await egress.checkUrl(url);
  } catch (err) {
    if (err instanceof EgressDenied)
      throw badRequest('egress_denied', `${field}: ${err.reason}`, { field, ...err.target });
    throw err;
  }
}
