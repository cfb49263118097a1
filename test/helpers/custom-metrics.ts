// A custom metrics adapter stand-in (custom-metrics-server.ts) registered with the real control plane as
// the v1beta1.custom.metrics.k8s.io APIService, reached THROUGH kube-apiserver's aggregation layer. With
// aggregator routing on (test/cluster/cluster.ts), the API server dials the Service's endpoint address;
// EndpointSlices refuse loopback addresses, so the stand-in listens inside a harness network namespace
// (test/cluster/netns.ts) and a selector-less Service + EndpointSlice point at that namespace's address.
// It serves HTTPS with a certificate of our own test CA (the APIService's caBundle) for the Service's
// DNS name, and accepts only the API server's front-proxy client certificate. Nothing leaves the machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../cluster/cluster.ts';
import { runnerObjects } from '../cluster/fixture.ts';
import { createNetns, type HarnessNetns } from '../cluster/netns.ts';
import { makePki } from './net-servers.ts';

export const APISERVICE = 'v1beta1.custom.metrics.k8s.io';
const SERVICE = 'custom-metrics-stand-in';

export class CustomMetricsStandIn {
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly caPem: string;
  #child: ChildProcess;
  #netns: HarnessNetns;
  #namespace?: string;

  private constructor(dir: string, host: string, port: number, caPem: string, child: ChildProcess, ns: HarnessNetns) {
    this.dir = dir;
    this.host = host;
    this.port = port;
    this.caPem = caPem;
    this.#child = child;
    this.#netns = ns;
  }

  /** Starts the stand-in in a new harness network namespace, with a certificate for `<service>.<namespace>.svc`. */
  static async start(c: Cluster, dir: string, namespace: string): Promise<CustomMetricsStandIn> {
    mkdirSync(dir, { recursive: true });
    const pki = makePki();
    const leaf = pki.leaf(`${SERVICE}.${namespace}.svc`, { sans: [`${SERVICE}.${namespace}.svc`] });
    writeFileSync(join(dir, 'tls.key'), leaf.key, { mode: 0o600 });
    writeFileSync(join(dir, 'tls.crt'), leaf.cert);
    writeFileSync(join(dir, 'values.json'), '{}');
    const ns = await createNetns('cm');
    try {
      const script = join(import.meta.dirname, 'custom-metrics-server.ts');
      const [cmd = 'nsenter', ...pre] = ns.enter();
      const args = [
        ...pre,
        process.execPath,
        script,
        ns.nsIp,
        '0',
        dir,
        join(dir, 'tls.key'),
        join(dir, 'tls.crt'),
        c.frontProxyCa,
      ];
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stderr?.on('data', (b: Buffer) => appendFileSync(join(dir, 'stderr.log'), b));
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(
          () => reject(new Error('the custom metrics stand-in did not start within 20 s')),
          20_000,
        );
        child.stdout?.on('data', (b: Buffer) => {
          out += b.toString();
          const m = out.match(/listening (\d+)/);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        child.once('exit', (code) =>
          reject(new Error(`the custom metrics stand-in exited with ${code}: ${readLog(dir, 'stderr.log')}`)),
        );
      });
      return new CustomMetricsStandIn(dir, ns.nsIp, port, pki.caPem, child, ns);
    } catch (e) {
      await ns.remove();
      throw e;
    }
  }

  /** The values it serves from now on: `{ namespace: { pod: value } }` (every metric the same). */
  setValues(v: Record<string, Record<string, number>>): void {
    writeFileSync(join(this.dir, 'values.json'), JSON.stringify(v));
  }

  /** `<X-Remote-User> <method> <path>` of every request it answered. */
  requests(): string[] {
    return readLog(this.dir, 'requests.log').split('\n').filter(Boolean);
  }

  /**
   * Registers it as the cluster's custom metrics API (replacing the fixture's local APIService): a
   * selector-less Service and an EndpointSlice in `namespace` pointing at the stand-in, and the APIService
   * with our CA as its caBundle. Resolves once the aggregator reports it Available.
   */
  async register(c: Cluster, namespace: string): Promise<void> {
    this.#namespace = namespace;
    await c.kubectl(['delete', 'apiservice', APISERVICE, '--ignore-not-found', '--wait=true']);
    await c.apply([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: SERVICE, namespace },
        spec: { ports: [{ name: 'https', port: 443, targetPort: this.port, protocol: 'TCP' }] },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${SERVICE}-1`,
          namespace,
          labels: {
            'kubernetes.io/service-name': SERVICE,
            'endpointslice.kubernetes.io/managed-by': 'runner-doctor-tests',
          },
        },
        addressType: 'IPv4',
        ports: [{ name: 'https', port: this.port, protocol: 'TCP' }],
        endpoints: [{ addresses: [this.host], conditions: { ready: true } }],
      },
      {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: APISERVICE },
        spec: {
          group: 'custom.metrics.k8s.io',
          version: 'v1beta1',
          service: { namespace, name: SERVICE, port: 443 },
          caBundle: Buffer.from(this.caPem).toString('base64'),
          groupPriorityMinimum: 100,
          versionPriority: 100,
        },
      },
    ]);
    await c.waitFor(
      async () => {
        const a = JSON.parse(await c.k(['get', 'apiservice', APISERVICE, '-o', 'json'])) as {
          status?: { conditions?: { type: string; status: string }[] };
        };
        return a.status?.conditions?.some((x) => x.type === 'Available' && x.status === 'True') === true;
      },
      60_000,
      `the APIService ${APISERVICE} to become Available through the stand-in`,
    );
  }

  /** Puts the fixture's APIService back (what every other test expects) and stops the stand-in. */
  async stop(c: Cluster): Promise<void> {
    if (this.#namespace) {
      await c.kubectl(['delete', 'apiservice', APISERVICE, '--ignore-not-found', '--wait=true']);
      await c.apply(runnerObjects().filter((x) => (x as { kind?: string }).kind === 'APIService'));
    }
    const child = this.#child;
    if (child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    }
    await this.#netns.remove();
  }
}

const readLog = (dir: string, name: string) =>
  existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '';
