import { securityAgent } from '../../src/domain/platforms.ts';
import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'security.agents',
  title: 'Runtime security agents on the runner nodes',
  category: 'security',
  scope: 'cluster',
  tags: ['security-agent'],
  docs: {
    what: 'Finds security-agent DaemonSets by name (CrowdStrike Falcon, Defender, Prisma Cloud, NeuVector, Sysdig, Aqua, Falco) and whether one has a pod on the node of each runner pod.',
    why: 'Runtime agents with drift prevention kill interpreters that run files written after the container started: Python Script components die with exit 137 while inline Python works.',
    fix: "Create an exclusion for the runner image or namespace in the agent's policy (for Falcon: a sensor-visibility / drift-prevention exclusion), then re-run runner-doctor (runtime.python.file confirms it).",
  },
  needs: ['daemonSets', 'runnerPods', 'clusterPods'],
  requires: ['workload.runner-pods'],
  messages: {
    none: { status: 'pass', text: 'no known runtime security agent DaemonSet in the cluster' },
    elsewhere: { status: 'info', text: '{{vendor}} DaemonSet {{daemonSet}} runs on no runner node' },
    'on-runner-nodes': {
      status: 'info',
      text: '{{vendor}} ({{daemonSet}}) runs on the runner node(s) {{nodes}}: if scripts die with exit 137, exclude the runner from its runtime policies',
    },
    crowdstrike: {
      status: 'warn',
      text: '{{vendor}} ({{daemonSet}}) runs on the runner node(s) {{nodes}}: its drift prevention kills python3 running script files (exit 137 while python3 -c works)',
      fix: 'create a Falcon exclusion (sensor visibility / drift prevention) for the runner namespace or image; runtime.python.file in each pod shows whether it is effective',
    },
  },
  judge({ daemonSets, runnerPods, clusterPods }, { report }) {
    const runnerNodes = [...new Set(runnerPods.flatMap((p) => (p.spec?.nodeName ? [p.spec.nodeName] : [])))];
    const out = daemonSets.flatMap((ds) => {
      const vendor = securityAgent(ds.name);
      if (!vendor) return [];
      const onNodes = new Set(
        clusterPods.flatMap((p) =>
          p.nodeName && p.daemonSet === ds.name && p.namespace === ds.namespace ? [p.nodeName] : [],
        ),
      );
      const shared = runnerNodes.filter((n) => onNodes.has(n));
      const daemonSet = `${ds.namespace}/${ds.name}`;
      const extra = { target: daemonSet, details: { vendor, daemonSet, runnerNodesWithAgent: shared } };
      if (shared.length === 0) return [report('elsewhere', { vendor, daemonSet }, extra)];
      const id = /CrowdStrike/.test(vendor) ? 'crowdstrike' : 'on-runner-nodes';
      return [report(id, { vendor, daemonSet, nodes: shared.join(', ') }, extra)];
    });
    return out.length ? out : report('none');
  },
});
