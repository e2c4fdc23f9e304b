/**
 * The monitoring artefacts in deploy/monitoring/ are checked as data against a running platform:
 * every metric an expression names (and every label it matches on) is one that `GET /metrics`
 * actually exports, so a renamed metric fails CI instead of silently blanking a panel or
 * disarming an alert; every alert rule carries a severity label and a summary.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { startTestPlatform, type TestPlatform } from '../support/platform.js';

interface Panel { type: string; title: string; id: number; targets?: { expr: string; refId: string }[] }
interface Rule { alert?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }

const dashboard = JSON.parse(readFileSync('deploy/monitoring/q2-dashboard.json', 'utf8')) as { uid: string; panels: Panel[] };
const rules = (parse(readFileSync('deploy/monitoring/q2-alerts.rules.yaml', 'utf8')) as { groups: { name: string; rules: Rule[] }[] })
  .groups.flatMap((g) => g.rules);
const expressions = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ...rules.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })),
];

/** PromQL words that are not metric names (functions, aggregations, operators, keywords). */
const PROMQL_WORDS = new Set([
  'sum', 'max', 'min', 'avg', 'count', 'rate', 'increase', 'irate', 'delta', 'histogram_quantile', 'clamp_min', 'clamp_max',
  'by', 'without', 'and', 'or', 'unless', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'abs', 'topk', 'bottomk',
]);

/** Metric selectors of an expression: name plus the label names it matches on. */
function selectorsOf(expr: string): { metric: string; labels: string[] }[] {
  const out: { metric: string; labels: string[] }[] = [];
  const withoutGroupings = expr.replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  const selector = /([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\})?/g;
  for (const match of withoutGroupings.replace(/\b\d+(\.\d+)?(e[-+]?\d+)?\b/g, ' ').matchAll(selector)) {
    const name = match[1]!;
    const next = withoutGroupings.slice((match.index ?? 0) + match[0].length).trimStart();
    // A word followed by "(" is a function call, not a metric.
    if (PROMQL_WORDS.has(name) || (next.startsWith('(') && match[2] === undefined)) continue;
    const labels = [...(match[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/g)].map((m) => m[1]!);
    out.push({ metric: name, labels });
  }
  return out;
}

let platform: TestPlatform;
/** name → type, from the `# TYPE` lines of /metrics. */
const exported = new Map<string, string>();

beforeAll(async () => {
  // Optional channels configured, so the metrics they register exist too (nothing is sent).
  platform = await startTestPlatform({ Q2_SMTP_URL: 'smtp://127.0.0.1:2525', Q2_SYSLOG_URL: 'udp://127.0.0.1:5514' });
  const res = await platform.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  for (const [, name, type] of res.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) exported.set(name!, type!);
});
afterAll(async () => platform?.stop());

/** The exported metric a series name belongs to (histograms export _bucket, _sum, _count). */
function exportedMetric(series: string): string | null {
  if (exported.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return base !== series && exported.get(base) === 'histogram' ? base : null;
}

describe('monitoring artefacts', () => {
  it('parse, and every dashboard panel queries something with unique ids', () => {
    expect(dashboard.uid).toBe('q2-security');
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    for (const panel of panels) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    expect(rules.length).toBeGreaterThan(10);
  });

  it('give every alert rule a name, a severity label and a summary', () => {
    for (const rule of rules) {
      expect(rule.alert, rule.expr).toMatch(/^Q2[A-Za-z]+$/);
      expect(['page', 'ticket', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary?.length ?? 0, rule.alert).toBeGreaterThan(10);
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it('name only metrics that a running platform exports on /metrics', () => {
    const missing = expressions.flatMap(({ where, expr }) => selectorsOf(expr)
      .filter((s) => exportedMetric(s.metric) === null).map((s) => `${where}: ${s.metric}`));
    expect(missing).toEqual([]);
    // The extraction itself finds what it should (guards against a parser that finds nothing).
    expect(selectorsOf('histogram_quantile(0.9, sum by (le) (rate(q2_x_bucket{phase="contain"}[6h]))) > 900'))
      .toEqual([{ metric: 'q2_x_bucket', labels: ['phase'] }]);
  });

  it('match only on labels those metrics have', () => {
    const wrong = expressions.flatMap(({ where, expr }) => selectorsOf(expr).flatMap((s) => {
      const name = exportedMetric(s.metric);
      const metric = name === null ? undefined : platform.metrics.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined;
      const known = new Set([...(metric?.labelNames ?? []), ...(s.metric.endsWith('_bucket') ? ['le'] : [])]);
      return s.labels.filter((l) => !known.has(l)).map((l) => `${where}: ${s.metric}{${l}}`);
    }));
    expect(wrong).toEqual([]);
  });

  it('cover what SPEC §7 asks /metrics for', () => {
    const named = new Set(expressions.flatMap(({ expr }) => selectorsOf(expr).map((s) => exportedMetric(s.metric))));
    for (const metric of [
      'q2_security_events_total', 'q2_network_refused_total', 'q2_signature_failures_total', 'q2_risk_rejections_total',
      'q2_alerts_total', 'q2_incident_response_seconds', 'q2_incidents_open', 'q2_http_request_duration_seconds',
      'q2_event_subscriber_problems_total', 'q2_siem_failures_total',
    ]) expect(named, metric).toContain(metric);
  });
});
