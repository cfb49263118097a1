import { defineCheck, pass, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'cluster.version',
  title: 'Kubernetes version is supported (1.29 or newer)',
  category: 'cluster',
  scope: 'cluster',
  severity: 'warn',
  docs: {
    what: 'Reads the API server version.',
    why: 'Minor versions before 1.29 are out of support, and the chart sets the sysctl net.ipv4.tcp_keepalive_time, which kubelets only accept as safe from 1.29 (older ones reject the pod with SysctlForbidden).',
    fix: 'Upgrade the cluster to a supported Kubernetes version (1.29 or newer).',
  },
  needs: ['kube'],
  async run({ fact }) {
    const v = await (await fact('kube')).version();
    const details = { gitVersion: v.gitVersion, minor: v.minor };
    if (v.major === 1 && v.minor < 29) {
      return warn(`Kubernetes ${v.gitVersion} is older than 1.29: out of support, and kubelets reject the chart's net.ipv4.tcp_keepalive_time sysctl (SysctlForbidden)`, { details, remediation: 'upgrade the cluster to 1.29+, or (not recommended) allow the sysctl with the kubelet flag --allowed-unsafe-sysctls=net.ipv4.tcp_keepalive_time' });
    }
    return pass(`Kubernetes ${v.gitVersion}`, { details });
  },
});
