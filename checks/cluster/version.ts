import { KEEPALIVE_SYSCTL } from '../../src/domain/chart.ts';
import { defineCheck } from '../../src/engine/define.ts';

/** The oldest supported minor, and the first whose kubelets accept the chart's keepalive sysctl as safe. */
const MIN_MINOR = 29;

export default defineCheck({
  id: 'cluster.version',
  title: 'Kubernetes version is supported (1.29 or newer)',
  category: 'cluster',
  scope: 'cluster',
  docs: {
    what: 'Reads the API server version.',
    why: `Minor versions before 1.${MIN_MINOR} are out of support, and the chart sets the sysctl ${KEEPALIVE_SYSCTL}, which kubelets only accept as safe from 1.${MIN_MINOR} (older ones reject the pod with SysctlForbidden).`,
    fix: `Upgrade the cluster to a supported Kubernetes version (1.${MIN_MINOR} or newer).`,
  },
  needs: ['serverVersion'],
  messages: {
    supported: { status: 'pass', text: 'Kubernetes {{gitVersion}}' },
    'too-old': {
      status: 'warn',
      text: `Kubernetes {{gitVersion}} is older than 1.${MIN_MINOR}: out of support, and kubelets reject the chart's ${KEEPALIVE_SYSCTL} sysctl (SysctlForbidden)`,
      fix: `upgrade the cluster to 1.${MIN_MINOR}+, or (not recommended) allow the sysctl with the kubelet flag --allowed-unsafe-sysctls=${KEEPALIVE_SYSCTL}`,
    },
  },
  judge({ serverVersion: v }, { report }) {
    const details = { gitVersion: v.gitVersion, minor: v.minor };
    if (v.major === 1 && v.minor < MIN_MINOR) return report('too-old', { gitVersion: v.gitVersion }, { details });
    return report('supported', { gitVersion: v.gitVersion }, { details });
  },
});
