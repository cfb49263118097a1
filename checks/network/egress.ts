import { defineCheck, fail, info, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';
import { explain } from '../../src/egress/explain.ts';

export default defineCheck({
  id: 'network.egress',
  title: 'Egress to the control plane, cloud APIs and registries, stage by stage',
  category: 'network',
  scope: 'network',
  severity: 'fail',
  docs: {
    what: 'For every endpoint the runner needs (vendor control plane for MATILLION_REGION, the cloud APIs for CLOUD_PROVIDER, the image registry, and --target / config targets): DNS, TCP, proxy CONNECT, TLS (chain, expiry, host name, trust) and one HTTP request, each with its own timeout and timing, all endpoints at once. Runs from the doctor and, through exec, from inside every runner pod (inline python3, else curl, wget or getent).',
    why: 'A runner that cannot reach the control plane never takes a task, and the reason differs by stage: a missing DNS egress rule, a dropped 443, a proxy that wants credentials, or a TLS-inspecting firewall whose CA the runner does not trust.',
    fix: 'Follow the fix named for the failing stage: NetworkPolicy egress (53/UDP+TCP, 443/TCP), NSG / security group / firewall allow-list, NAT for private subnets, PROXY_HTTPS / PROXY_EXCLUDE, or CUSTOM_CERT_LOCATION for an intercepting CA.',
  },
  needs: ['egress'],
  async run({ fact }) {
    const view = await fact('egress');
    if (!view.results.length) return [info(`no egress targets from ${view.from} (derived targets off and none given)`)];
    const out: Outcome[] = [];
    for (const r of view.results) {
      const e = explain(r, view.from);
      const details = { endpoint: `${r.target.host}:${r.target.port}`, purpose: r.target.purpose, tool: r.tool, ...(r.via ? { proxy: r.via } : {}), stages: { dns: r.dns, tcp: r.tcp, proxy: r.proxy, tls: r.tls, http: r.http }, failedStage: r.failedStage ?? null, totalMs: r.totalMs };
      const target = `${view.from} → ${r.target.name}`;
      const make = e.status === 'pass' ? pass : e.status === 'warn' ? warn : fail;
      out.push(make(e.message, { target, details, ...(e.fix ? { remediation: e.fix } : {}) }));
    }
    return out;
  },
});
