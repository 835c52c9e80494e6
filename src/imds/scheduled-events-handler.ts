// GET and POST /metadata/scheduledevents (imds-spec §10.3, §10.4). POST takes {"StartRequests":[{"EventId":…}]}
// whatever the Content-Type (clients send JSON with a form type); unknown EventIds still answer 200.
import { INSTANCE_ENDPOINT_BODIES } from '../http/error-bodies.ts';
import { HttpError } from '../http/http-error.ts';
import type { ImdsRequest, ImdsResponse } from '../http/imds-request.ts';
import type { ImdsContext } from './imds-context.ts';
import { renderScheduledEvents } from './scheduled-events-render.ts';

function malformed(): HttpError {
  return new HttpError(400, INSTANCE_ENDPOINT_BODIES.malformedStartRequests, { rule: 'scheduled-events-body' });
}

/** Parses a StartRequests body; throws the 400 HttpError on anything else. */
export function parseStartRequests(body: Buffer): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw malformed();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed();
  const requests = (parsed as { StartRequests?: unknown }).StartRequests;
  if (!Array.isArray(requests)) throw malformed();
  return requests.map((r: unknown) => {
    const id = typeof r === 'object' && r !== null ? (r as { EventId?: unknown }).EventId : undefined;
    if (typeof id !== 'string' || id === '') throw malformed();
    return id;
  });
}

export function handleScheduledEvents(request: ImdsRequest, ctx: ImdsContext): ImdsResponse {
  const state = ctx.scheduledEvents;
  if (request.method === 'POST') {
    state.start(parseStartRequests(request.body), request.remoteAddress);
    return { status: 200, body: '', contentType: 'text/plain; charset=utf-8' };
  }
  return { status: 200, body: renderScheduledEvents(state.snapshot(), request.apiVersion ?? '') };
}
