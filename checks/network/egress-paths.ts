import { defineCheck, fail, info, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';

export default defineCheck({
  id: 'network.egress-paths',
  title: 'Egress compared: the doctor\'s view against each runner pod\'s',
  category: 'network',
  scope: 'cluster',
  severity: 'fail',
  docs: {
    what: 'Puts the doctor\'s egress results and each runner pod\'s side by side, per endpoint, and draws the conclusion: reachable from the doctor but blocked from a pod points at the runner\'s NetworkPolicy or its node\'s egress; blocked everywhere points at the firewall, proxy or DNS upstream.',
    why: 'The same failure has different owners depending on where it happens: a platform team\'s NetworkPolicy or node security group, or the corporate firewall and proxy.',
    fix: 'Fix the layer named in the conclusion, then re-run.',
  },
  needs: ['egressViews'],
  async run({ fact }) {
    const views = await fact('egressViews');
    const doctor = views.find((v) => v.from === 'doctor');
    const pods = views.filter((v) => v.from !== 'doctor');
    if (!pods.length) return [info('no runner pod was tested from inside (none Running, or exec not allowed): only the doctor\'s view exists')];
    const names = [...new Set(views.flatMap((v) => v.results.map((r) => r.target.name)))];
    if (!names.length) return [info('no egress targets were tested (derived targets off and none given)')];
    const out: Outcome[] = [];
    for (const name of names) {
      const d = doctor?.results.find((r) => r.target.name === name);
      const dOk = d ? !d.failedStage : undefined;
      const blocked = pods.map((p) => ({ p, r: p.results.find((r) => r.target.name === name) })).filter((x) => x.r && x.r.failedStage);
      const okPods = pods.filter((p) => p.results.some((r) => r.target.name === name && !r.failedStage));
      const side = Object.fromEntries([...(d ? [['doctor', d.failedStage ? `${d.failedStage}: ${d[d.failedStage]?.error}` : 'ok']] : []), ...pods.map((p) => {
        const r = p.results.find((x) => x.target.name === name);
        return [p.from, r ? (r.failedStage ? `${r.failedStage}: ${r[r.failedStage]?.error}` : 'ok') : 'not tested'];
      })]);
      const details = { endpoint: name, views: side };
      const list = blocked.map((b) => `${b.p.from} (${b.r!.failedStage}: ${b.r![b.r!.failedStage!]?.error})`).join(', ');
      if (!blocked.length && dOk !== false) out.push(pass(`${name}: reachable from the doctor and from ${okPods.length} runner pod(s)`, { target: name, details }));
      else if (!blocked.length) out.push(info(`${name}: blocked from the doctor (${d!.failedStage}) but reachable from every runner pod — the doctor's own network, not the runner's`, { target: name, details }));
      else if (dOk && okPods.length) out.push(fail(`${name}: reachable from the doctor and ${okPods.length} pod(s), blocked from ${list} → those pods' node egress or placement (node pool security group, NAT of their subnet)`, { target: name, details, remediation: 'compare the nodes of the blocked pods with the others: subnet, NAT and security group / NSG of that node pool' }));
      else if (dOk) out.push(fail(`${name}: reachable from the doctor, blocked from every runner pod (${list}) → the runner's NetworkPolicy or the nodes' egress (security group / NSG, NAT)`, { target: name, details, remediation: 'check network.policy for the runner\'s egress rules (53/UDP+TCP, 443/TCP), then the node pool\'s security group / NSG and the NAT of its subnet' }));
      else if (dOk === false) out.push(fail(`${name}: blocked from the doctor and from ${list} → upstream of both: the firewall or proxy allow-list, or DNS`, { target: name, details, remediation: 'allow the endpoint on the corporate firewall / proxy, or fix its DNS; see network.egress for the stage that fails' }));
      else out.push(warn(`${name}: blocked from ${list}`, { target: name, details }));
    }
    return out;
  },
});
