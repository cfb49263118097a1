// The scheduler on synthetic checks and a synthetic fact store: facts collected once and shared, a fact
// that could not be collected is each reader's `error` (decided by the engine, with the rule when it is
// forbidden), the deadline, crashes, undeclared facts, prerequisites, check- and code-level waivers,
// and the one redaction gate for messages and details.
import { describe, expect, it } from 'vitest';
import { defineCheck } from '../../src/engine/define.ts';
import { FactError, type FactMap, type FactName } from '../../src/engine/facts.ts';
import { type FactStore, runChecks } from '../../src/engine/run.ts';
import type { AnyCheck, Target } from '../../src/engine/types.ts';
import { Redactor } from '../../src/redact/redact.ts';

const docs = { what: 'w', why: 'y', fix: 'fix it' };
const NOW = Date.parse('2026-11-21T00:00:00Z');
const local: Target = { kind: 'local', name: 'local' };
const targets = [{ target: local, scopes: ['pod', 'run'] as const }];

/** A check that reports `msg` with status `status`, reading `needs`. */
function mk(
  id: string,
  o: {
    needs?: FactName[];
    requires?: string[];
    judge?: (facts: Record<string, unknown>) => string;
    status?: 'pass' | 'fail' | 'warn';
  } = {},
): AnyCheck {
  return defineCheck({
    id,
    title: id,
    category: 'runtime',
    scope: 'pod',
    docs,
    needs: o.needs ?? [],
    ...(o.requires ? { requires: o.requires } : {}),
    messages: { out: { status: o.status ?? 'pass', text: '{{text}}' } },
    judge: (facts, { report }) => report('out', { text: o.judge ? o.judge(facts) : 'ok' }),
  }) as unknown as AnyCheck;
}

/** A store from functions; counts collections. */
function storeOf(
  fns: Partial<{ [K in FactName]: () => Promise<FactMap[K]> }>,
): FactStore & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const memo = new Map<string, Promise<unknown>>();
  return {
    calls,
    get<F extends FactName>(_t: Target, name: F): Promise<FactMap[F]> {
      let p = memo.get(name);
      if (!p) {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        const f = fns[name];
        p = f ? f() : Promise.reject(new FactError('unavailable', `no ${name}`));
        p.catch(() => {});
        memo.set(name, p);
      }
      return p as Promise<FactMap[F]>;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('engine', () => {
  it('collects a fact once however many checks read it', async () => {
    const store = storeOf({
      now: async () => {
        await sleep(10);
        return NOW;
      },
    });
    const checks = ['a', 'b', 'c'].map((id) => mk(id, { needs: ['now'], judge: (f) => String(f.now) }));
    const out = await runChecks({ checks, targets, store, now: NOW });
    expect(store.calls.get('now')).toBe(1);
    expect(out.results.map((r) => r.message)).toEqual([String(NOW), String(NOW), String(NOW)]);
  });

  it("a fact that could not be collected is each reader's error, with its cause, rule and remediation", async () => {
    const rule = { apiGroups: [''], resources: ['secrets'], verbs: ['list'], scope: 'namespace' as const };
    const store = storeOf({
      secretKeys: async () =>
        Promise.reject(
          new FactError('forbidden', 'forbidden: cannot list secrets in namespace matillion', 'add the rule', { rule }),
        ),
      now: async () => NOW,
    });
    const out = await runChecks({
      checks: [
        mk('s1', { needs: ['secretKeys'] }),
        mk('s2', { needs: ['now', 'secretKeys'] }),
        mk('free', { needs: ['now'] }),
      ],
      targets,
      store,
      now: NOW,
    });
    const [s1, s2, free] = out.results;
    for (const r of [s1, s2])
      expect(r).toMatchObject({
        status: 'error',
        code: `${r?.checkId}/error-forbidden`,
        message: 'forbidden: cannot list secrets in namespace matillion',
        details: { reason: 'forbidden', fact: 'secretKeys', rule },
        remediation: { text: 'add the rule' },
      });
    expect(free?.status).toBe('pass');
  });

  it('reports every selected check when the deadline passes, and aborts the collectors', async () => {
    const abort = new AbortController();
    const store = storeOf({
      now: async () => NOW,
      serverVersion: () =>
        new Promise((_, reject) =>
          abort.signal.addEventListener('abort', () => reject(new FactError('deadline', 'cancelled'))),
        ),
    });
    const out = await runChecks({
      checks: [mk('a', { needs: ['now'] }), mk('b', { needs: ['serverVersion'] })],
      targets,
      store,
      now: NOW,
      deadlineAt: Date.now() + 100,
      abort,
      deadlineLabel: '--timeout 1 s',
    });
    expect(out.deadlineHit).toBe(true);
    expect(abort.signal.aborted).toBe(true);
    expect(out.results.map((r) => [r.checkId, r.status, r.code])).toEqual([
      ['a', 'pass', 'a/out'],
      ['b', 'error', 'b/error-deadline'],
    ]);
    expect(out.results[1]?.message).toMatch(/deadline \(--timeout 1 s\) passed/);
  });

  it('turns a throwing judge into error: crashed, and carries on', async () => {
    const boom = defineCheck({
      id: 'boom',
      title: 'boom',
      category: 'runtime',
      scope: 'pod',
      docs,
      needs: [],
      messages: { x: { status: 'pass', text: 'x' } },
      judge: () => {
        throw new TypeError('x is undefined');
      },
    }) as unknown as AnyCheck;
    const out = await runChecks({ checks: [boom, mk('fine')], targets, store: storeOf({}), now: NOW });
    expect(out.results[0]).toMatchObject({
      checkId: 'boom',
      status: 'error',
      code: 'boom/error-crash',
      message: 'check crashed: x is undefined',
    });
    expect(out.results[1]?.status).toBe('pass');
  });

  it('a judge that reads a fact it did not declare crashes (a bug the tables catch)', async () => {
    const sneaky = mk('sneaky', { needs: ['now'], judge: (f) => String((f as Record<string, unknown>).serverVersion) });
    const out = await runChecks({ checks: [sneaky], targets, store: storeOf({ now: async () => NOW }), now: NOW });
    expect(out.results[0]).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/read fact "serverVersion" without declaring it/),
    });
  });

  it('an unfilled placeholder is a crash, not a message with "undefined" in it', async () => {
    const c = defineCheck({
      id: 'ph',
      title: 'ph',
      category: 'runtime',
      scope: 'pod',
      docs,
      needs: [],
      messages: { m: { status: 'warn', text: 'a {{missing}}' } },
      judge: (_f, { report }) => report('m'),
    }) as unknown as AnyCheck;
    const out = await runChecks({ checks: [c], targets, store: storeOf({}), now: NOW });
    expect(out.results[0]).toMatchObject({
      status: 'error',
      message: 'check crashed: message placeholder {{missing}} has no value',
    });
  });

  it('skips dependents of a failed prerequisite as blocked, never a cascade of failures', async () => {
    const checks = [
      mk('base', { status: 'fail' }),
      mk('dep', { requires: ['base'], status: 'fail' }),
      mk('dep2', { requires: ['dep'] }),
    ];
    const out = await runChecks({ checks, targets, store: storeOf({}), now: NOW });
    expect(out.results.map((r) => [r.checkId, r.status, r.skipReason, r.message])).toEqual([
      ['base', 'fail', undefined, 'ok'],
      ['dep', 'skip', 'blocked', 'blocked by base'],
      ['dep2', 'skip', 'not-applicable', 'not applicable: dep was skipped'],
    ]);
  });

  it('a check-level waiver skips the check without running it; an expired one does not', async () => {
    let ran = 0;
    const c = mk('security.non-root', { status: 'fail', judge: () => String(++ran) });
    const active = await runChecks({
      checks: [c],
      targets,
      store: storeOf({}),
      now: NOW,
      waivers: [{ check: 'security.*', reason: 'vendor image runs as root until v2', expires: '2099-01-01' }],
    });
    expect(ran).toBe(0);
    expect(active.results[0]).toMatchObject({
      status: 'skip',
      skipReason: 'waived',
      code: 'security.non-root/skip-waived',
      message: 'waived: vendor image runs as root until v2 (until 2099-01-01)',
    });
    const expired = await runChecks({
      checks: [c],
      targets,
      store: storeOf({}),
      now: NOW,
      waivers: [{ check: 'security.non-root', reason: 'temporary', expires: '2020-01-31' }],
    });
    expect(expired.results[0]?.status).toBe('fail');
  });

  it('a code-level waiver sets aside only the finding it names', async () => {
    const two = defineCheck({
      id: 'runtime.two',
      title: 'two',
      category: 'runtime',
      scope: 'pod',
      docs,
      needs: [],
      messages: { known: { status: 'warn', text: 'known debt' }, fresh: { status: 'fail', text: 'new problem' } },
      judge: (_f, { report }) => [report('known', {}, { target: 'a' }), report('fresh', {}, { target: 'b' })],
    }) as unknown as AnyCheck;
    const out = await runChecks({
      checks: [two],
      targets,
      store: storeOf({}),
      now: NOW,
      waivers: [{ check: 'runtime.two/known', reason: 'accepted until the next release' }],
    });
    expect(out.results.map((r) => [r.code, r.status, r.skipReason])).toEqual([
      ['runtime.two/known', 'skip', 'waived'],
      ['runtime.two/fresh', 'fail', undefined],
    ]);
    expect(out.results[0]?.message).toMatch(/^waived: accepted until the next release — was warn: known debt$/);
  });

  it('one gate redacts messages, remediations and details: control sequences and every known secret value', async () => {
    const redactor = new Redactor();
    redactor.add('canary-secret-value-42');
    const c = defineCheck({
      id: 'leaky',
      title: 'leaky',
      category: 'runtime',
      scope: 'pod',
      docs,
      needs: [],
      messages: { m: { status: 'fail', text: 'bad \u001b[31mred\u001b[0m {{v}}', fix: 'use {{v}}' } },
      judge: (_f, { report }) =>
        report(
          'm',
          { v: 'canary-secret-value-42\u0000' },
          {
            details: {
              nested: { url: 'http://user:canary-secret-value-42@proxy:3128', list: ['canary-secret-value-42'] },
            },
          },
        ),
    }) as unknown as AnyCheck;
    const out = await runChecks({ checks: [c], targets, store: storeOf({}), now: NOW, redactor });
    const text = JSON.stringify(out.results);
    expect(text).not.toContain('canary-secret-value-42');
    expect(out.results[0]?.message).toBe('bad red ***');
    expect(out.results[0]?.remediation?.text).toBe('use ***');
    expect(out.results[0]?.details).toEqual({ nested: { url: 'http://***@proxy:3128', list: ['***'] } });
  });
});
