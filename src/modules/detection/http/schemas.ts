/**
 * JSON schemas of the alert routes: bounded, closed inputs and closed response shapes so only
 * the declared fields are ever serialised.
 */
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const UUID = { type: 'string', format: 'uuid', maxLength: 36 } as const;

const summary = {
  type: 'object', additionalProperties: false,
  required: ['type', 'time', 'actor', 'target', 'outcome', 'ip', 'requestId'],
  properties: {
    type: { type: 'string' }, time: { type: 'integer' }, actor: { type: 'string' }, target: { type: ['string', 'null'] },
    outcome: { type: 'string' }, ip: { type: ['string', 'null'] }, requestId: { type: ['string', 'null'] },
  },
} as const;

export const alertSchema = {
  type: 'object', additionalProperties: false,
  required: ['id', 'ruleId', 'ruleVersion', 'severity', 'title', 'groupKey', 'events', 'createdAt', 'ackedAt', 'ackedBy'],
  properties: {
    id: { type: 'string' }, ruleId: { type: 'string' }, ruleVersion: { type: 'integer' },
    severity: { type: 'string', enum: SEVERITIES }, title: { type: 'string' }, groupKey: { type: 'string' },
    events: { type: 'array', items: summary }, createdAt: { type: 'integer' },
    ackedAt: { type: ['integer', 'null'] }, ackedBy: { type: ['string', 'null'] },
  },
} as const;

export const listAlertsSchema = {
  querystring: {
    type: 'object', additionalProperties: false,
    properties: {
      status: { type: 'string', enum: ['open', 'acked'] },
      severity: { type: 'string', enum: SEVERITIES },
      cursor: UUID,
      limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    },
  },
  response: {
    200: {
      type: 'object', additionalProperties: false, required: ['alerts', 'nextCursor'],
      properties: { alerts: { type: 'array', items: alertSchema }, nextCursor: { type: ['string', 'null'] } },
    },
  },
} as const;

export const ackAlertSchema = {
  params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: UUID } },
  response: { 200: alertSchema },
} as const;

export type AlertSeverityName = (typeof SEVERITIES)[number];
