import { z } from 'zod';
import { UsageError, type Parsed } from './commands.js';

/** What the API said when it refused: printed like a database error (exit 1). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `collexa approvals token ID --decision approve|deny`: asks the API (as the approver whose key is in
 * COLLEXA_API_KEY) for a decision token to send through Temporal itself. Text mode prints the token alone
 * on stdout (for `TOKEN=$(…)`) and the temporal command on stderr.
 */
export async function runApprovalsCommand(
  { positionals, flags }: Parsed,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ text: string; json: unknown; hint?: string }> {
  const [, action, id] = positionals;
  if (action !== 'token') throw new UsageError(`unknown command "approvals ${action ?? ''}"`.trim());
  const approvalId = z.uuid().safeParse(id);
  if (!approvalId.success) throw new UsageError(`approval ID must be a UUID, got ${JSON.stringify(id ?? '')}`);
  if (flags.decision !== 'approve' && flags.decision !== 'deny')
    throw new UsageError('--decision must be approve or deny');
  const key = env.COLLEXA_API_KEY;
  if (!key) throw new UsageError('set COLLEXA_API_KEY to the approver’s API key');
  const apiUrl = String(flags['api-url'] ?? env.COLLEXA_API_URL ?? 'http://localhost:3000').replace(/\/$/, '');

  let res: Response;
  try {
    res = await fetch(`${apiUrl}/v1/approvals/${approvalId.data}/decision-token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: flags.decision }),
    });
  } catch (err) {
    throw new ApiError(
      'api_unavailable',
      `cannot reach the API at ${apiUrl} (${(err as Error).message}); is "npm start" running, or COLLEXA_API_URL set?`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as {
    token?: string;
    workflowId?: string;
    expiresAt?: string;
    error?: { code: string; message: string };
  };
  if (!res.ok || !body.token)
    throw new ApiError(
      body.error?.code ?? `http_${res.status}`,
      body.error?.message ?? `the API answered ${res.status}`,
    );
  return {
    json: body,
    text: body.token,
    hint:
      `decision token for ${body.workflowId}, single use, expires ${body.expiresAt}; with it in $TOKEN:\n` +
      `  temporal workflow update execute --workflow-id ${body.workflowId} --name decide \\\n` +
      `    --codec-endpoint ${apiUrl}/codec --codec-auth "Bearer $COLLEXA_API_KEY" \\\n` +
      `    --input "{\\"decision\\":\\"${flags.decision}\\",\\"token\\":\\"$TOKEN\\"}"`,
  };
}
