/**
 * Threat: a deployment that runs as root, can write its own filesystem, escalate privileges, eat
 * the node's resources or talk to anything on the network. The manifests in deploy/ and the
 * Dockerfile are checked as data, so a change that weakens them fails CI.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (file: string): Doc[] => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Doc);
const deployment = load('deploy/k8s/deployment.yaml').find((d) => d.kind === 'Deployment')!;
const policies = load('deploy/k8s/network-policy.yaml');
const pod = deployment.spec.template.spec;

describe('Kubernetes manifests', () => {
  it('run the pod as a non-root user with the runtime seccomp profile and no service-account token', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('every container: read-only root, no privilege, no capabilities, bounded resources, probes', () => {
    const containers = pod.containers as Doc[];
    expect(containers.length).toBeGreaterThan(0);
    for (const container of containers) checkContainer(container);
  });

  function checkContainer(container: Doc): void {
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
    expect(container.securityContext.capabilities.add).toBeUndefined();
    for (const key of ['cpu', 'memory']) {
      expect(container.resources.requests[key]).toBeDefined();
      expect(container.resources.limits[key]).toBeDefined();
    }
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.image).not.toMatch(/:latest$/);
    const envNames = (container.env as Doc[]).map((e) => e.name);
    // Secrets come from Secret objects, never literal values in the manifest.
    for (const e of container.env as Doc[]) if (/URL$|KEY|PASS|PIN|SECRET/.test(e.name) && e.name !== 'Q2_TLS_KEY' && e.name !== 'Q2_MASTER_KEY_FILE' && e.name !== 'Q2_PUBLIC_URL') expect(e.valueFrom, e.name).toBeDefined();
    expect(envNames).toContain('Q2_MASTER_KEY_FILE');
  }

  it('deny all traffic by default and allow only the documented flows', () => {
    const deny = policies.find((p) => p.metadata.name === 'default-deny')!;
    expect(deny.spec.podSelector).toEqual({});
    expect(deny.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(deny.spec.ingress).toBeUndefined();
    expect(deny.spec.egress).toBeUndefined();
    const ingress = policies.find((p) => p.metadata.name === 'q2-ingress')!;
    expect(ingress.spec.ingress.flatMap((r: Doc) => r.ports.map((p: Doc) => p.port))).toEqual([8443]);
    const egressPorts = policies.find((p) => p.metadata.name === 'q2-egress')!.spec.egress.flatMap((r: Doc) => r.ports.map((p: Doc) => p.port));
    expect(new Set(egressPorts)).toEqual(new Set([5432, 6379, 6514, 587, 443, 53]));
  });

  it('enforce the restricted Pod Security Standard on the namespace', () => {
    const ns = load('deploy/k8s/namespace.yaml')[0]!;
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  it('runs as a numeric non-root user and pins the Node 20 base image', () => {
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
    for (const [, image] of dockerfile.matchAll(/^FROM\s+(\S+)/gm)) expect(image).toMatch(/^node:20-/);
  });
  it('fetches nothing from URLs at build time and ships no dev dependencies', () => {
    expect(dockerfile).not.toMatch(/^ADD\s+https?:/m);
    expect(dockerfile).not.toMatch(/curl|wget/);
    expect(dockerfile).toContain('npm prune --omit=dev');
  });
});
