/**
 * JSON schemas of the incident routes: closed, bounded inputs and closed response shapes, so
 * only declared fields are ever serialised.
 */
import { INCIDENT_STATUSES } from '../lifecycle.js';
import { CONTAINMENT_ACTIONS, SEVERITIES } from '../policy.js';

const UUID = { type: 'string', format: 'uuid', maxLength: 36 } as const;
const time = { type: ['integer', 'null'] } as const;
const details = { type: 'object', additionalProperties: true } as const;
const closed = (properties: Record<string, unknown>, required: readonly string[] = Object.keys(properties)) =>
  ({ type: 'object', additionalProperties: false, required, properties }) as const;

export const incidentSchema = closed({
  id: { type: 'string' }, title: { type: 'string' }, severity: { type: 'string', enum: SEVERITIES }, status: { type: 'string', enum: INCIDENT_STATUSES },
  openedBy: { type: 'string' }, sourceAlertIds: { type: 'array', items: { type: 'string' } },
  detectedAt: { type: 'integer' }, openedAt: { type: 'integer' }, containedAt: time, recoveredAt: time, closedAt: time,
  lessonsLearned: { type: ['string', 'null'] }, updatedAt: { type: 'integer' },
});

export const stepSchema = closed({
  id: { type: 'string' }, incidentId: { type: 'string' }, at: { type: 'integer' }, actor: { type: 'string' }, kind: { type: 'string' },
  what: { type: 'string' }, target: { type: ['string', 'null'] }, result: { type: 'string' }, details,
});

const idParams = closed({ id: UUID });

export const listSchema = {
  querystring: {
    type: 'object', additionalProperties: false,
    properties: { status: { type: 'string', enum: INCIDENT_STATUSES }, cursor: UUID, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
  },
  response: { 200: closed({ incidents: { type: 'array', items: incidentSchema }, nextCursor: { type: ['string', 'null'] } }) },
} as const;

export const openSchema = {
  body: closed({
    title: { type: 'string', minLength: 1, maxLength: 200 },
    severity: { type: 'string', enum: SEVERITIES },
    alertIds: { type: 'array', items: UUID, maxItems: 50 },
  }, ['title', 'severity']),
  response: { 201: incidentSchema },
} as const;

export const getSchema = { params: idParams, response: { 200: closed({ incident: incidentSchema, steps: { type: 'array', items: stepSchema } }) } } as const;

export const actionSchema = {
  params: idParams,
  body: closed({
    action: { type: 'string', enum: CONTAINMENT_ACTIONS },
    target: { type: 'string', minLength: 1, maxLength: 100 },
    ttlSeconds: { type: 'integer', minimum: 60, maximum: 30 * 24 * 3600 },
  }, ['action', 'target']),
  response: { 200: closed({ incident: incidentSchema, step: stepSchema }) },
} as const;

export const transitionSchema = {
  params: idParams,
  body: closed({
    to: { type: 'string', enum: INCIDENT_STATUSES },
    note: { type: 'string', minLength: 1, maxLength: 2000 },
    lessonsLearned: { type: 'string', minLength: 1, maxLength: 10_000 },
  }, ['to']),
  response: { 200: incidentSchema },
} as const;

const timelineEntry = closed({
  time: { type: 'integer' }, source: { type: 'string', enum: ['audit', 'incident'] }, seq: { type: ['integer', 'null'] }, action: { type: 'string' },
  actor: { type: 'string' }, target: { type: ['string', 'null'] }, outcome: { type: 'string' }, ip: { type: ['string', 'null'] }, details,
});

export const timelineSchema = {
  params: idParams,
  response: {
    200: closed({
      incidentId: { type: 'string' }, from: { type: 'integer' }, to: { type: 'integer' }, subjects: { type: 'array', items: { type: 'string' } },
      truncated: { type: 'boolean' }, entries: { type: 'array', items: timelineEntry },
    }),
  },
} as const;

const vulnerability = closed({
  id: { type: 'string' }, severity: { type: 'string', enum: SEVERITIES }, title: { type: 'string' }, foundAt: { type: 'string', format: 'date-time' },
  remediatedAt: { type: ['string', 'null'] }, recordedBy: { type: 'string' }, updatedAt: { type: 'string', format: 'date-time' },
});

export const recordVulnerabilitySchema = {
  body: closed({
    // A CVE (CVE-2026-12345) or an internal reference.
    id: { type: 'string', minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' },
    severity: { type: 'string', enum: SEVERITIES },
    title: { type: 'string', maxLength: 200 },
    foundAt: { type: 'string', format: 'date-time', maxLength: 40 },
    remediatedAt: { type: ['string', 'null'], format: 'date-time', maxLength: 40 },
  }, ['id', 'severity', 'foundAt']),
  response: { 200: vulnerability, 201: vulnerability },
} as const;

export const listVulnerabilitiesSchema = {
  querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } } },
  response: { 200: closed({ vulnerabilities: { type: 'array', items: vulnerability } }) },
} as const;

const phase = closed({ count: { type: 'integer' }, medianSeconds: { type: ['number', 'null'] }, p90Seconds: { type: ['number', 'null'] } });
const remediation = closed({ open: { type: 'integer' }, remediated: { type: 'integer' }, medianRemediationSeconds: { type: ['number', 'null'] } });

export const kpisSchema = {
  querystring: {
    type: 'object', additionalProperties: false,
    properties: { from: { type: 'string', format: 'date-time', maxLength: 40 }, to: { type: 'string', format: 'date-time', maxLength: 40 } },
  },
  response: {
    200: closed({
      from: { type: 'string' }, to: { type: 'string' },
      authentication: closed({
        attempts: { type: 'integer' }, succeeded: { type: 'integer' }, failed: { type: 'integer' },
        successRate: { type: ['number', 'null'] }, failedShare: { type: ['number', 'null'] },
      }),
      incidents: closed({
        opened: { type: 'integer' }, detect: phase, close: phase,
        contain: closed({
          count: { type: 'integer' }, medianSeconds: { type: ['number', 'null'] }, p90Seconds: { type: ['number', 'null'] },
          targetSeconds: { type: 'integer' }, overTarget: { type: 'integer' }, uncontainedOverTarget: { type: 'integer' },
        }),
      }),
      vulnerabilities: closed({ low: remediation, medium: remediation, high: remediation, critical: remediation }),
    }),
  },
} as const;
