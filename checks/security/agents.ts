import { defineCheck, info, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';

/** Most specific first: the first pattern that matches names the vendor. */
export const AGENTS: [RegExp, string][] = [
  [/falcon-container-sensor/, 'CrowdStrike Falcon (container sensor)'],
  [/falcon-node-sensor/, 'CrowdStrike Falcon (node sensor)'],
  [/falcon-sensor/, 'CrowdStrike Falcon'],
  [/microsoft-defender|defender-collector/, 'Microsoft Defender for Containers'],
  [/twistlock-defender-ds/, 'Prisma Cloud (Twistlock) Defender'],
  [/neuvector-enforcer-pod/, 'NeuVector enforcer'],
  [/sysdig-agent/, 'Sysdig agent'],
  [/aqua-enforcer/, 'Aqua enforcer'],
  [/falco/, 'Falco'],
];

export default defineCheck({
  id: 'security.agents',
  title: 'Runtime security agents on the runner nodes',
  category: 'security',
  scope: 'cluster',
  severity: 'warn',
  tags: ['security-agent'],
  docs: {
    what: 'Finds security-agent DaemonSets by name (CrowdStrike Falcon, Defender, Prisma Cloud, NeuVector, Sysdig, Aqua, Falco) and whether one has a pod on the node of each runner pod.',
    why: 'Runtime agents with drift prevention kill interpreters that run files written after the container started: Python Script components die with exit 137 while inline Python works.',
    fix: 'Create an exclusion for the runner image or namespace in the agent\'s policy (for Falcon: a sensor-visibility / drift-prevention exclusion), then re-run runner-doctor (runtime.python.file confirms it).',
  },
  needs: ['kube'],
  requires: ['workload.runner-pods'],
  async run({ fact }) {
    const snap = await fact('kube');
    const [dss, runners, all] = await Promise.all([snap.daemonSets(), snap.runnerPods(), snap.allPods()]);
    const runnerNodes = new Set(runners.map((p) => p.spec?.nodeName).filter(Boolean));
    const out: Outcome[] = [];
    for (const ds of dss) {
      const name = ds.metadata?.name ?? '';
      const vendor = AGENTS.find(([re]) => re.test(name))?.[1];
      if (!vendor) continue;
      const onNodes = new Set(all.filter((p) => p.spec?.nodeName && p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === name) && p.metadata?.namespace === ds.metadata?.namespace).map((p) => p.spec!.nodeName!));
      const shared = [...runnerNodes].filter((n) => onNodes.has(n!));
      const target = `${ds.metadata?.namespace}/${name}`;
      const details = { vendor, daemonSet: target, runnerNodesWithAgent: shared };
      if (shared.length === 0) {
        out.push(info(`${vendor} DaemonSet ${target} runs on no runner node`, { target, details }));
      } else if (/CrowdStrike/.test(vendor)) {
        out.push(warn(`${vendor} (${target}) runs on the runner node(s) ${shared.join(', ')}: its drift prevention kills python3 running script files (exit 137 while python3 -c works)`, { target, details, remediation: 'create a Falcon exclusion (sensor visibility / drift prevention) for the runner namespace or image; runtime.python.file in each pod shows whether it is effective' }));
      } else {
        out.push(info(`${vendor} (${target}) runs on the runner node(s) ${shared.join(', ')}: if scripts die with exit 137, exclude the runner from its runtime policies`, { target, details }));
      }
    }
    return out.length ? out : [pass('no known runtime security agent DaemonSet in the cluster')];
  },
});
