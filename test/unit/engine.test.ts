// The scheduler on synthetic checks: bound, per-check timeout, global deadline, crashes, blocked
// prerequisites, waivers and expired waivers. Facts come from a real fact source built from providers.
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../src/engine/run.ts';
import { defineCheck, fail, pass } from '../../src/engine/define.ts';
import { factSource, FactError } from '../../src/facts/fact-map.ts';
import type { CheckDef } from '../../src/engine/types.ts';
import waiversCheck from '../../checks/config/waivers.ts';
import type { ProbeFacts } from '../../src/probe/facts.ts';

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((r) => { const t = setTimeout(r, ms); signal?.addEventListener('abort', () => { clearTimeout(t); r(); }); });
const docs = { what: 'w', why: 'y', fix: 'fix it' };
const mk = (id: string, run: CheckDef['run'], extra: Partial<CheckDef> = {}): CheckDef =>
  defineCheck({ id, title: id, category: 'runtime', scope: 'pod', severity: 'fail', docs, needs: [], run, ...extra }) as CheckDef;
const target = (providers = {}) => [{ target: { kind: 'local' as const, name: 'local' }, scopes: ['pod', 'local'] as const, source: factSource(providers, 'local') }];

describe('engine', () => {
  it('runs independent checks concurrently, never more than the bound', async () => {
    let running = 0;
    let peak = 0;
    const checks = Array.from({ length: 12 }, (_, i) =>
      mk(`c${i}`, async () => {
        peak = Math.max(peak, ++running);
        await sleep(20);
        running--;
        return pass('ok');
      }),
    );
    const out = await runChecks({ checks, targets: target(), concurrency: 3 });
    expect(out.results).toHaveLength(12);
    expect(peak).toBe(3);
  });

  it('turns a slow check into error: timed out, and the others still report', async () => {
    const out = await runChecks({ checks: [mk('slow', async ({ signal }) => (await sleep(5000, signal), pass('late'))), mk('quick', () => pass('ok'))], targets: target(), checkTimeoutMs: 50 });
    const slow = out.results.find((r) => r.checkId === 'slow')!;
    expect(slow.status).toBe('error');
    expect(slow.message).toMatch(/timed out after 0\.1 s|timed out after 0\.0 s/);
    expect(out.results.find((r) => r.checkId === 'quick')!.status).toBe('pass');
  });

  it('reports every selected check when the global deadline passes', async () => {
    const checks = [mk('a', () => pass('ok')), mk('b', async ({ signal }) => (await sleep(10_000, signal), pass('x'))), mk('c', async ({ signal }) => (await sleep(10_000, signal), pass('x')))];
    const out = await runChecks({ checks, targets: target(), deadlineMs: 100, checkTimeoutMs: 60_000 });
    expect(out.deadlineHit).toBe(true);
    expect(out.results.map((r) => [r.checkId, r.status])).toEqual([['a', 'pass'], ['b', 'error'], ['c', 'error']]);
    expect(out.results[1]!.message).toMatch(/run's deadline/);
  });

  it('turns a throwing check into error and carries on', async () => {
    const out = await runChecks({ checks: [mk('boom', () => { throw new TypeError('x is undefined'); }), mk('fine', () => pass('ok'))], targets: target() });
    expect(out.results[0]).toMatchObject({ checkId: 'boom', status: 'error', message: 'check crashed: x is undefined' });
    expect(out.results[1]!.status).toBe('pass');
  });

  it('skips dependents of a failed prerequisite as blocked, never a cascade of failures', async () => {
    const checks = [mk('base', () => fail('broken')), mk('dep', () => fail('should not run'), { requires: ['base'] }), mk('dep2', () => fail('nor this'), { requires: ['dep'] })];
    const out = await runChecks({ checks, targets: target() });
    expect(out.results.map((r) => [r.checkId, r.status, r.message])).toEqual([
      ['base', 'fail', 'broken'],
      ['dep', 'skip', 'blocked by base'],
      ['dep2', 'skip', 'not applicable: dep was skipped'],
    ]);
  });

  it('collects a fact once however many checks need it, and a collection failure is each check\'s error', async () => {
    let collected = 0;
    const providers = {
      probe: async () => {
        collected++;
        await sleep(10);
        throw new FactError('probe', 'probe output is incomplete', 'run it by hand');
      },
    };
    const needsProbe = (id: string) => mk(id, async ({ fact }) => (await fact('probe'), pass('x')), { needs: ['probe'] });
    const out = await runChecks({ checks: [needsProbe('p1'), needsProbe('p2'), needsProbe('p3')], targets: target(providers) });
    expect(collected).toBe(1);
    for (const r of out.results) expect(r).toMatchObject({ status: 'error', message: 'probe output is incomplete', remediation: { text: 'run it by hand' } });
  });

  it('reports waived checks as skipped with the reason and does not run them', async () => {
    let ran = false;
    const out = await runChecks({
      checks: [mk('security.non-root', () => ((ran = true), fail('root')))],
      targets: target(),
      waivers: [{ check: 'security.*', reason: 'vendor image runs as root until v2', expires: '2099-01-01' }],
    });
    expect(ran).toBe(false);
    expect(out.results[0]).toMatchObject({ status: 'skip', skipReason: 'waived', message: 'waived: vendor image runs as root until v2 (until 2099-01-01)' });
  });

  it('ignores an expired waiver, runs the check, and config.waivers warns about it', async () => {
    const waivers = [{ check: 'security.non-root', reason: 'temporary', expires: '2020-01-31', line: 4 }];
    const now = new Date('2026-11-21T00:00:00Z');
    const out = await runChecks({
      checks: [mk('security.non-root', () => fail('root')), waiversCheck as CheckDef],
      targets: target({ config: () => ({ waivers, now, path: 'doctor.yaml' }) }),
      waivers,
      now,
    });
    expect(out.results.find((r) => r.checkId === 'security.non-root')!.status).toBe('fail');
    const w = out.results.find((r) => r.checkId === 'config.waivers')!;
    expect(w.status).toBe('warn');
    expect(w.message).toMatch(/expired on 2020-01-31; it is ignored/);
    expect(w.remediation?.text).toMatch(/doctor\.yaml:4/);
  });

  it('config.waivers passes when every waiver is current', async () => {
    const waivers = [{ check: 'x', reason: 'because', expires: '2026-11-21' }];
    const out = await runChecks({ checks: [waiversCheck as CheckDef], targets: target({ config: () => ({ waivers, now: new Date('2026-11-21T23:00:00Z') }) }) });
    expect(out.results[0]!.status).toBe('pass');
  });

  it('cleans control and ANSI sequences out of messages before any reporter sees them', async () => {
    const out = await runChecks({ checks: [mk('x', () => fail('bad \u001b[31mred\u001b[0m \u001b]0;title\u0007text\u0000'))], targets: target() });
    expect(out.results[0]!.message).toBe('bad red text');
  });

  it('an undeclared fact is a bug in the check, reported as error', async () => {
    const out = await runChecks({ checks: [mk('sneaky', async ({ fact }) => (await fact('probe' as never), pass('x')))], targets: target({ probe: async () => ({}) as ProbeFacts }) });
    expect(out.results[0]!.status).toBe('error');
    expect(out.results[0]!.message).toMatch(/undeclared fact probe/);
  });
});
