import { SCRIPT_RUNNER_HOST_VAR, SCRIPT_RUNNER_PORT } from '../../src/domain/script-runner.ts';
import { defineCheck } from '../../src/engine/define.ts';

const BLOCKED_FIX = `allow TCP ${SCRIPT_RUNNER_PORT} from the runner pods to the script runner pods (NetworkPolicy egress on the runner, ingress on the script runner), and check that the script runner is Ready (workload.script-runner)`;

export default defineCheck({
  id: 'network.script-runner',
  title: "The script runner's sshd answers on port 2222 from inside the runner",
  category: 'network',
  scope: 'pod',
  docs: {
    what: `From inside each runner pod, a TCP connection to ${SCRIPT_RUNNER_HOST_VAR} (port ${SCRIPT_RUNNER_PORT} unless it names one) and the first line the server sends (an SSH banner).`,
    why: 'Python and Bash script components run in the script runner over SSH: a NetworkPolicy, a wrong host or a script runner that is not Ready makes them fail while everything else works.',
    fix: BLOCKED_FIX,
  },
  needs: ['scriptRunnerReach'],
  messages: {
    reachable: { status: 'pass', text: 'sshd at {{address}} answers: {{banner}}' },
    'not-ssh': {
      status: 'warn',
      text: 'something accepts connections at {{address}}, but it did not greet like sshd{{banner}}',
      fix: `point ${SCRIPT_RUNNER_HOST_VAR} at the script runner's Service`,
    },
    refused: { status: 'fail', text: 'connection to {{address}} refused: {{detail}}', fix: BLOCKED_FIX },
    timeout: {
      status: 'fail',
      text: 'connection to {{address}} timed out ({{detail}}): a NetworkPolicy or firewall drops it',
      fix: BLOCKED_FIX,
    },
    dns: {
      status: 'fail',
      text: `${SCRIPT_RUNNER_HOST_VAR} {{address}} does not resolve: {{detail}}`,
      fix: `set ${SCRIPT_RUNNER_HOST_VAR} to the script runner's Service name (the chart does when the script runner is on)`,
    },
    unreachable: { status: 'fail', text: 'no route to {{address}}: {{detail}}', fix: BLOCKED_FIX },
    error: { status: 'warn', text: 'the test of {{address}} failed: {{detail}}', fix: BLOCKED_FIX },
    'no-tool': {
      status: 'info',
      text: 'neither python3 nor curl in the image: the script runner port could not be tested from inside the pod',
    },
    disabled: { status: 'skip', text: `no script runner configured (${SCRIPT_RUNNER_HOST_VAR} is not set)` },
  },
  judge({ scriptRunnerReach: r }, { report }) {
    if (!r.enabled) return report('disabled');
    const vars = { address: r.address ?? '?', detail: r.detail ?? '', banner: r.banner ?? '' };
    const details = { tool: r.tool, address: r.address, outcome: r.outcome, banner: r.banner };
    if (r.outcome === 'ok')
      return r.banner?.startsWith('SSH-')
        ? report('reachable', vars, { details })
        : report(
            'not-ssh',
            { ...vars, banner: r.banner ? ` (it sent "${r.banner}")` : ' (it sent nothing)' },
            { details },
          );
    if (r.outcome === 'no-tool') return report('no-tool');
    if (r.outcome === 'refused' || r.outcome === 'timeout' || r.outcome === 'dns' || r.outcome === 'unreachable')
      return report(r.outcome, vars, { details });
    return report('error', vars, { details });
  },
});
