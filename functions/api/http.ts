/** A plain HTTP request/response pair: what the API core sees instead of Lambda events. */

export interface HttpRequest {
  method: string;
  /** Path without stage prefix, e.g. /import/123/status. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  body?: string;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Array<{ field: string; message: string }>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function json(statusCode: number, body: unknown): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * A request body as a JSON object: undefined for an empty body, 413 above `maxBytes`, 400 for
 * anything but a JSON object.
 */
export function parseJsonObject(body: string | undefined, maxBytes: number): Record<string, unknown> | undefined {
  if (body === undefined || body.trim() === '') return undefined;
  if (Buffer.byteLength(body) > maxBytes) throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new ApiError(400, 'INVALID_BODY', 'the request body is not valid JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, 'INVALID_BODY', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}
