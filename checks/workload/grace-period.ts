import { HELM } from '../../src/domain/chart.ts';
import { objName } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { MessageDef } from '../../src/engine/types.ts';

/** From this long a grace period is worth knowing about: it holds up drains and rollouts for an hour or more. */
const LONG_S = 3600;
/** Below this, stopping a pod (scale-down, drain, rollout) kills the tasks it runs. */
const SHORT_S = 300;

const messages = {
  short: { status: 'pass', text: 'Deployment {{deployment}}: terminationGracePeriodSeconds {{seconds}}' },
  long: {
    status: 'info',
    text: 'Deployment {{deployment}}: terminationGracePeriodSeconds {{seconds}} ({{duration}}) — a node drain, a rollout (helm upgrade) and every HPA scale-down wait up to {{duration}} for each runner pod to finish its tasks before it goes',
    fix: `lower ${HELM.gracePeriod} to the longest task a pod must be allowed to finish when it is stopped (e.g. 3600); {{seconds}} is the chart's default`,
  },
  'too-short': {
    status: 'warn',
    text: 'Deployment {{deployment}}: terminationGracePeriodSeconds {{seconds}} — every HPA scale-down, node drain and rollout kills the tasks a runner pod is running after {{seconds}} s',
    fix: `raise ${HELM.gracePeriod} to cover the longest task (the chart's default is 43200, 12 h)`,
  },
  'no-deployment': { status: 'info', text: 'no runner Deployment found' },
} satisfies Record<string, MessageDef>;

export default defineCheck({
  id: 'workload.grace-period',
  title: 'Termination grace period of the runner pods',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: "Reads terminationGracePeriodSeconds of each runner Deployment's pod template (the chart sets 43200 s, 12 h) and says, once per Deployment, what a long one holds up; below 300 s, stopping a pod kills its running tasks.",
    why: 'The runner finishes its running tasks before it exits: with 12 h of grace, a node drain, an upgrade rollout or an HPA scale-down can take up to 12 h per pod — cluster upgrades and autoscalers stall on it.',
    fix: `Lower ${HELM.gracePeriod} to what your longest task needs.`,
  },
  needs: ['runnerDeployments'],
  messages,
  judge({ runnerDeployments }, { report }) {
    if (runnerDeployments.length === 0) return report('no-deployment');
    return runnerDeployments.map((d) => {
      const seconds = d.spec?.template?.spec?.terminationGracePeriodSeconds ?? 30;
      const deployment = objName(d);
      const hours = seconds / 3600;
      const duration = hours >= 1 ? `${Math.round(hours * 10) / 10} h` : `${Math.round(seconds / 60)} min`;
      const id = seconds >= LONG_S ? 'long' : seconds < SHORT_S ? 'too-short' : 'short';
      return report(id, { deployment, seconds, duration }, { target: deployment });
    });
  },
});
