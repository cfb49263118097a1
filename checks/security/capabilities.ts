import { defineCheck } from '../../src/engine/define.ts';
import { DANGEROUS_CAPABILITIES } from '../../src/domain/capabilities.ts';

/** `CAP_SYS_ADMIN` → `sys_admin`, the form DANGEROUS_CAPABILITIES holds. */
const isDangerous = (cap: string): boolean => DANGEROUS_CAPABILITIES.has(cap.replace(/^CAP_/, '').toLowerCase());

export default defineCheck({
  id: 'security.capabilities',
  title: 'Capabilities are dropped (guides promise drop ALL)',
  category: 'security',
  scope: 'pod',
  tags: ['hardening'],
  docs: {
    what: 'Decodes CapEff (what the process may do now) and CapBnd (what it or a child could ever gain, e.g. through a setuid binary) from /proc/self/status into capability names.',
    why: "The guides promise `capabilities.drop: [ALL]`; the chart renders none, so the runtime's defaults apply. Capabilities such as SYS_ADMIN or NET_ADMIN let a compromised task reach the node.",
    fix: 'Set `securityContext.capabilities.drop: ["ALL"]` on the runner container and add back nothing.',
  },
  needs: ['identity'],
  messages: {
    none: {
      status: 'pass',
      text: 'no capabilities, effective or in the bounding set (all dropped, as the guides promise)',
    },
    'not-dropped': {
      status: 'info',
      text: 'no effective capabilities (the process is not root), but the bounding set keeps {{count}} ({{capabilities}}): they are not dropped as the guides promise',
      fix: 'set securityContext.capabilities.drop: ["ALL"] on the runner container (the chart renders an empty securityContext: add it with a post-renderer or kustomize patch)',
    },
    some: {
      status: 'info',
      text: '{{count}} capabilities are effective ({{capabilities}}); the guides promise all dropped',
      fix: 'set securityContext.capabilities.drop: ["ALL"] on the runner container',
    },
    dangerous: { status: 'warn', text: 'dangerous capabilities are effective: {{dangerous}}' },
    'bounding-unknown': {
      status: 'info',
      text: 'no effective capabilities; the bounding set could not be read, so whether they are all dropped is unknown',
    },
    unknown: { status: 'info', text: 'could not read the effective capabilities' },
  },
  judge({ identity }, { report }) {
    const caps = identity.capabilities;
    if (caps === null) return report('unknown');
    const bounding = identity.boundingCapabilities ?? null;
    const details = {
      capEff: identity.capEff,
      capabilities: caps,
      capBnd: identity.capBnd ?? null,
      boundingCapabilities: bounding,
    };
    if (caps.length === 0) {
      if (bounding === null) return report('bounding-unknown', {}, { details });
      if (bounding.length === 0) return report('none', {}, { details });
      return report('not-dropped', { count: bounding.length, capabilities: bounding.join(', ') }, { details });
    }
    const dangerous = caps.filter(isDangerous);
    if (dangerous.length) return report('dangerous', { dangerous: dangerous.join(', ') }, { details });
    return report('some', { count: caps.length, capabilities: caps.join(', ') }, { details });
  },
});
