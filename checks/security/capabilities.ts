import { defineCheck, info, pass, warn } from '../../src/engine/define.ts';
import { DANGEROUS_CAPABILITIES } from '../../src/probe/capabilities.ts';

export default defineCheck({
  id: 'security.capabilities',
  title: 'Effective capabilities (guides promise all dropped)',
  category: 'security',
  scope: 'pod',
  severity: 'warn',
  tags: ['hardening'],
  docs: {
    what: 'Decodes CapEff from /proc/self/status into capability names.',
    why: 'The guides promise `capabilities.drop: [ALL]`; the chart renders none, so the runtime\'s defaults apply. Capabilities such as SYS_ADMIN or NET_ADMIN let a compromised task reach the node.',
    fix: 'Set `securityContext.capabilities.drop: ["ALL"]` on the runner container and add back nothing.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { identity } = await fact('probe');
    const caps = identity.capabilities;
    if (caps === null) return info('could not read the effective capabilities');
    const details = { capEff: identity.capEff?.toString(16).padStart(16, '0'), capabilities: caps };
    if (caps.length === 0) return pass('no effective capabilities (all dropped, as the guides promise)', { details });
    const dangerous = caps.filter((c) => DANGEROUS_CAPABILITIES.has(c.slice(4).toLowerCase()));
    if (dangerous.length) return warn(`dangerous capabilities are effective: ${dangerous.join(', ')}`, { details });
    return info(`${caps.length} capabilities are effective (${caps.join(', ')}); the guides promise all dropped`, { details, remediation: 'set securityContext.capabilities.drop: ["ALL"] on the runner container' });
  },
});
