import { boundedText } from '../../secrets/redact.js';
import { retryAfterSeconds, statusCode, statusMeaning, VendorError } from '../server/vendor-error.js';

const VENDOR = 'AWS';

/**
 * Error codes by which AWS says the request was throttled, whatever HTTP status it came with (EC2's
 * RequestLimitExceeded and S3's SlowDown are 503s): the call did not run and may be sent again later.
 * The same list as the SDK's own retry strategy (@smithy/service-error-classification THROTTLING_ERROR_CODES).
 */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

/** Codes by which AWS says it does not accept the credentials themselves (not a missing permission). */
const CREDENTIAL_REJECTED = new Set([
  'AuthFailure',
  'ExpiredToken',
  'ExpiredTokenException',
  'IncompleteSignature',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'InvalidToken',
  'MissingAuthenticationToken',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
]);

/** Network-level failures (no HTTP answer): AWS was not reached. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The parts of an AWS SDK v3 ServiceException (and of a Node network error) read here. */
interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
  $retryable?: { throttling?: boolean };
  /** Lambda's TooManyRequestsException carries the wait in its body. */
  retryAfterSeconds?: string;
}

/**
 * An AWS SDK failure as a VendorError: the HTTP status AWS answered (a throttle as 429 with the wait it
 * asked for), its error code (`err.name`: AuthFailure, NoSuchKey, InvalidInstanceID.NotFound…) and message.
 * A failure with no HTTP answer is 503 `unreachable`; an abort or a local error is answered as it is.
 */
export function awsError(err: unknown): unknown {
  if (err instanceof VendorError || !err || typeof err !== 'object') return err;
  const e = err as SdkError;
  const httpStatus = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  if (httpStatus === undefined) {
    if (e.name === 'AbortError') return err;
    const network = (e.code && UNREACHABLE.has(e.code)) || e.name === 'TimeoutError';
    if (!network) return err;
    return new VendorError(
      VENDOR,
      503,
      'unreachable',
      `${VENDOR} could not be reached: ${boundedText(e.message ?? '')}`,
    );
  }
  // The SDK names an error whose body it could not read "Unknown"/"UnknownError": the status says more.
  const named = e.name && !/^Unknown(Error)?$/.test(e.name) && e.name !== 'Error' ? e.name : undefined;
  const throttled = (named !== undefined && THROTTLING.has(named)) || e.$retryable?.throttling === true;
  const status = throttled ? 429 : httpStatus;
  const wait = throttled ? throttleWait(e) : undefined;
  const code = named ?? statusCode(status);
  const said = boundedText(e.message && e.message !== e.name ? e.message : '');
  const meaning =
    named !== undefined && CREDENTIAL_REJECTED.has(named)
      ? `${VENDOR} rejected the credentials (${status}): check the secret this server is given`
      : statusMeaning(VENDOR, status, wait);
  return new VendorError(VENDOR, status, code, `${meaning}: ${code}${said ? `: ${said}` : ''}`, wait);
}

/** The wait a throttle asked for: a Retry-After header, or Lambda's retryAfterSeconds; undefined when none. */
function throttleWait(e: SdkError): number | undefined {
  const headers = e.$response?.headers ?? {};
  const header = headers['retry-after'] ?? headers['Retry-After'];
  return retryAfterSeconds(header ?? e.retryAfterSeconds);
}

/** Runs one SDK call, its failure mapped by awsError. */
export async function awsCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw awsError(err);
  }
}
