// Nothing the suite runs talks to this machine's own uplink or to another host: no pod (or node) has an
// address of this machine's interfaces, and every listener the suite opened is on loopback or on a
// harness network namespace's veth (10.87.0.0/16). Guards the rule that tests stay on 127.0.0.0/8 and
// on namespaces the harness itself creates.
import { describe, expect, inject, it } from 'vitest';
import { Cluster } from '../cluster/cluster.ts';
import { machineAddresses } from '../cluster/netns.ts';
import { listeners } from './global-setup.ts';

const skip = inject('clusterSkip');

describe.skipIf(Boolean(skip))('the test cluster stays on this machine', () => {
  const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
  const mine = skip ? [] : machineAddresses();

  it("no pod IP, host IP or node address is one of this machine's own interface addresses", async () => {
    const pods = JSON.parse(await c.k(['get', 'pods', '-A', '-o', 'json'])).items as {
      metadata: { name: string };
      status: { podIP?: string; hostIP?: string; podIPs?: { ip: string }[] };
    }[];
    const nodes = JSON.parse(await c.k(['get', 'nodes', '-o', 'json'])).items as {
      status: { addresses?: { address: string }[] };
    }[];
    const used = [
      ...pods.flatMap((p) => [p.status.podIP, p.status.hostIP, ...(p.status.podIPs ?? []).map((x) => x.ip)]),
      ...nodes.flatMap((n) => (n.status.addresses ?? []).map((a) => a.address)),
    ].filter((x): x is string => Boolean(x));
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((ip) => mine.includes(ip))).toEqual([]);
    // Every address in use is loopback, a harness namespace's, or a name (node hostnames).
    expect(
      used.filter(
        (ip) =>
          /^\d+\.\d+\.\d+\.\d+$/.test(ip) &&
          !ip.startsWith('127.') &&
          !ip.startsWith('10.87.') &&
          !ip.startsWith('10.88.'),
      ),
    ).toEqual([]);
  });

  it('every listener opened since the suite started is on loopback or a harness veth', () => {
    const before = new Set(inject('listenersBefore'));
    const opened = listeners().filter((l) => !before.has(l));
    expect(opened.length).toBeGreaterThan(0); // the control plane's own
    const host = (l: string) =>
      l
        .replace(/:[^:]+$/, '')
        .replace(/^\[|\]$/g, '')
        .replace(/%.*$/, '');
    const bad = opened.filter((l) => {
      const h = host(l);
      return !(h.startsWith('127.') || h.startsWith('10.87.') || h === '::1');
    });
    expect(
      bad,
      `listeners on wildcard or uplink addresses: ${bad.join(', ')} (this machine: ${mine.join(', ')})`,
    ).toEqual([]);
  });
});
