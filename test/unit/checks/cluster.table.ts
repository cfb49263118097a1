import version from '../../../checks/cluster/version.ts';
import { table } from '../../helpers/check-table.ts';
import { edit, healthyCluster } from './fixtures.ts';

const at = (minor: number, gitVersion: string) =>
  edit(healthyCluster(), (f) => {
    f.serverVersion = { major: 1, minor, gitVersion };
  });

export const tables = [
  table(version, {
    valid: [
      { name: 'the chart fixture runs on 1.36', facts: healthyCluster(), codes: ['supported'] },
      { name: '1.29 is the first supported minor', facts: at(29, 'v1.29.0'), codes: ['supported'] },
    ],
    invalid: [
      {
        name: 'below 1.29: out of support and the keepalive sysctl is rejected',
        facts: at(28, 'v1.28.9-eks-1'),
        codes: ['too-old'],
        expect: ([r]) => {
          if (!/older than 1\.29.*SysctlForbidden/.test(r?.message ?? '')) throw new Error(r?.message);
          if (!r?.remediation?.text.includes('--allowed-unsafe-sysctls=net.ipv4.tcp_keepalive_time'))
            throw new Error(r?.remediation?.text);
        },
      },
    ],
  }),
];
