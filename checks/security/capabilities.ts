import { defineCheck } from '../../src/engine/define.ts';
import { DANGEROUS_CAPABILITIES } from '../../src/domain/capabilities.ts';

/** `CAP_SYS_ADMIN` → `sys_admin`, the form DANGEROUS_CAPABILITIES holds. */
const isDangerous = (cap: string): boolean => DANGEROUS_CAPABILITIES.has(cap.replace(/^CAP_/, '').toLowerCase());

export default defineCheck({
  id: 'security.capabilities',
  title: 'Effective capabilities (guides promise all dropped)',
  category: 'security',
  scope: 'pod',
  tags: ['hardening'],
  docs: {
    what: 'Decodes CapEff from /proc/self/status into capability names.',
    why: "The guides promise `capabilities.drop: [ALL]`; the chart renders none, so the runtime's defaults apply. Capabilities such as SYS_ADMIN or NET_ADMIN let a compromised task reach the node.",
    fix: 'Set `securityContext.capabilities.drop: ["ALL"]` on the runner container and add back nothing.',
  },
  needs: ['identity'],
  messages: {
    none: { status: 'pass', text: 'no effective capabilities (all dropped, as the guides promise)' },
    some: {
      status: 'info',
      text: '{{count}} capabilities are effective ({{capabilities}}); the guides promise all dropped',
      fix: 'set securityContext.capabilities.drop: ["ALL"] on the runner container',
    },
    dangerous: { status: 'warn', text: 'dangerous capabilities are effective: {{dangerous}}' },
    unknown: { status: 'info', text: 'could not read the effective capabilities' },
  },
  judge({ identity }, { report }) {
    const caps = identity.capabilities;
    if (caps === null) return report('unknown');
    const details = { capEff: identity.capEff, capabilities: caps };
    if (caps.length === 0) return report('none', {}, { details });
    const dangerous = caps.filter(isDangerous);
    if (dangerous.length) return report('dangerous', { dangerous: dangerous.join(', ') }, { details });
    return report('some', { count: caps.length, capabilities: caps.join(', ') }, { details });
  },
});
