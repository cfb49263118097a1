// The RBAC `runner-doctor manifest` derives from the checks, proven on the real API server: running as the
// generated ServiceAccount a full check meets no `forbidden`; removing any single rule makes exactly the
// checks whose facts need it report `error: forbidden` naming that rule (and nothing else changes); the
// audit log shows no write but exec, access reviews and dry-runs.
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CHECKS } from '../../checks/index.ts';
import type { FactName, RbacRule } from '../../src/engine/facts.ts';
import { COLLECTORS, factClosure } from '../../src/facts/registry.ts';
import { grants } from '../../src/cli/manifest.ts';
import { Cluster } from '../cluster/cluster.ts';
import { NS } from '../cluster/fixture.ts';

const skip = inject('clusterSkip');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
const BIN = 'bin/runner-doctor';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  [k: string]: unknown;
}
interface Result {
  checkId: string;
  code: string;
  status: string;
  message: string;
  target: string;
}

const manifest = (name: string): Obj[] => {
  const r = spawnSync(process.execPath, [BIN, 'manifest', '--namespace', NS, '--name', name, '--rbac-only'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
};

/** A full check as the ServiceAccount of `kubeconfig`, asynchronously (several run side by side). */
function doctorAs(kubeconfig: string): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'check',
        '--namespace',
        NS,
        '--no-derived-targets',
        '--target',
        'probe=127.0.0.1:9',
        '--check-timeout',
        '120',
        '--timeout',
        '230',
        '--output',
        'json=-',
      ],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: kubeconfig }, timeout: 240_000 },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.stderr.on('data', (b: Buffer) => (err += b));
    child.on('close', (code) => {
      try {
        resolve((JSON.parse(out) as { results: Result[] }).results);
      } catch {
        reject(new Error(`runner-doctor exited ${code} without a JSON report: ${err.slice(0, 500)}`));
      }
    });
  });
}

/**
 * The checks that must report forbidden once `removed` is taken out of the generated Role / ClusterRole:
 * those reading (through collectors that fail with what they use) a fact with a declared rule the
 * remaining rules no longer grant — a namespace rule is granted by the Role or the ClusterRole, a cluster
 * rule by the ClusterRole only.
 */
function expectedFailing(objs: Obj[]): string[] {
  const held = (kind: string) => objs.filter((o) => o.kind === kind).flatMap((o) => o.rules ?? []);
  const [role, cluster] = [held('Role'), held('ClusterRole')];
  const granted = (r: RbacRule) => grants(r.scope === 'namespace' ? [...role, ...cluster] : cluster, r);
  const declaring = new Set<FactName>(
    [...COLLECTORS].filter(([, col]) => !col.rbac.every(granted)).map(([name]) => name),
  );
  return CHECKS.filter((ch) =>
    [...factClosure(ch.needs, { namespaced: true, failingOnly: true })].some((f) => declaring.has(f)),
  )
    .map((ch) => ch.id)
    .sort();
}

const created: string[] = [];
afterAll(async () => {
  if (skip) return;
  for (const name of created) {
    await c.kubectl(['delete', 'serviceaccount,role,rolebinding', '-n', NS, name, '--ignore-not-found']);
    await c.kubectl(['delete', 'clusterrole,clusterrolebinding', `${name}-${NS}`, '--ignore-not-found']);
  }
});

describe.skipIf(Boolean(skip))('the generated least-privilege RBAC on the real API server', () => {
  it('a full check as the generated ServiceAccount meets no forbidden, and writes nothing but exec, access reviews and dry-runs', async () => {
    const name = 'rd-exact';
    created.push(name);
    await c.apply(manifest(name));
    const kc = await c.serviceAccountKubeconfig(NS, name);
    const results = await doctorAs(kc);
    expect(results.length).toBeGreaterThan(60);
    expect(results.filter((r) => r.status === 'error').map((r) => `${r.code}: ${r.message}`)).toEqual([]);
    const user = `system:serviceaccount:${NS}:${name}`;
    const events = (await c.auditEvents()).filter((e) => e.user.username === user && e.stage === 'ResponseComplete');
    const writes = events.filter((e) => !['get', 'list', 'watch'].includes(e.verb));
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      const ok =
        (w.objectRef?.resource === 'pods' && w.objectRef.subresource === 'exec') ||
        w.objectRef?.resource === 'selfsubjectaccessreviews' ||
        /[?&]dryRun=All/.test(w.requestURI);
      expect(ok, `${w.verb} ${w.requestURI}`).toBe(true);
    }
    expect(events.some((e) => e.objectRef?.subresource === 'exec')).toBe(true);
  });

  it('removing any single rule makes exactly the checks that need it report error: forbidden, naming that rule', async () => {
    const base = manifest('rd-minus');
    const roles = base.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    const cases = roles.flatMap((role) => (role.rules ?? []).map((rule, i) => ({ kind: role.kind, i, rule })));
    expect(cases.length).toBeGreaterThan(10);
    const mismatches: string[] = [];
    // Two runs side by side: each is a full check (exec into both real pods included) as its own ServiceAccount.
    const one = async (n: number, k: (typeof cases)[number]) => {
      const name = `rd-minus-${n}`;
      created.push(name);
      const objs = manifest(name).map((o) =>
        o.kind === k.kind ? { ...o, rules: (o.rules ?? []).filter((_r, j) => j !== k.i) } : o,
      );
      await c.apply(objs);
      const results = await doctorAs(await c.serviceAccountKubeconfig(NS, name));
      const want = expectedFailing(objs);
      const forbidden = results.filter((r) => r.status === 'error');
      const got = [...new Set(forbidden.map((r) => r.checkId))].sort();
      const label = `${k.kind} ${k.rule.apiGroups[0] ? `${k.rule.apiGroups[0]}/` : ''}${k.rule.resources.join(',')}:${k.rule.verbs.join(',')}`;
      if (JSON.stringify(got) !== JSON.stringify(want))
        mismatches.push(`${label}: got ${got.join(' ')} | want ${want.join(' ')}`);
      for (const r of forbidden) {
        if (
          !r.code.endsWith('/error-forbidden') ||
          !r.message.includes(`resources: ["${k.rule.resources.join('", "')}"]`)
        )
          mismatches.push(`${label}: ${r.code} ${r.message}`);
      }
    };
    const queue = [...cases.entries()];
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await one(...next);
      }),
    );
    expect(mismatches).toEqual([]);
  }, 1_800_000);
});
