// The runner's /actuator/prometheus for fake pods, reached through the real API server's pod proxy.
// The API server refuses to proxy to loopback pod IPs, so the stand-in server runs inside a network
// namespace of the harness's own (test/cluster/netns.ts) and a scraped pod gets that namespace's
// address as its pod IP (a status patch, as a kubelet would report it), with its prometheus.io/port
// annotation pointing at the server. No address of this machine's own interfaces is ever used.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from './cluster.ts';
import { createNetns, type HarnessNetns } from './netns.ts';

export function runnerMetrics(o: { status?: number; tasks?: number; version?: string } = {}): string {
  return [
    '# HELP app_version_info Runner version',
    '# TYPE app_version_info gauge',
    `app_version_info{application="agent",version="${o.version ?? '2026.11.3'}"} 1.0`,
    '# HELP app_agent_status 1 running, 0 stopped',
    '# TYPE app_agent_status gauge',
    `app_agent_status{application="agent"} ${o.status ?? 1}.0`,
    '# TYPE app_active_task_count gauge',
    `app_active_task_count{application="agent"} ${o.tasks ?? 3}.0`,
    '# TYPE app_active_request_count gauge',
    'app_active_request_count{application="agent"} 1.0',
    '# TYPE jvm_memory_used_bytes gauge',
    'jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 1.2345E8',
    'jvm_gc_pause_seconds_max{action="end of minor GC",cause="G1 Evacuation Pause"} NaN',
    '',
  ].join('\n');
}

export class PodMetricsServer {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  #child?: ChildProcess;
  #netns?: HarnessNetns;

  constructor(host: string, port: number, dir: string) {
    this.host = host;
    this.port = port;
    this.dir = dir;
  }

  /** A namespace with a veth pair, and the server listening on the namespace's end of it. */
  static async start(dir: string): Promise<PodMetricsServer> {
    mkdirSync(dir, { recursive: true });
    const ns = await createNetns('m');
    try {
      const script = join(import.meta.dirname, 'metrics-server.ts');
      const child = spawn(ns.enter()[0]!, [...ns.enter().slice(1), process.execPath, script, ns.nsIp, '0', dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error('the pod metrics server did not start within 20 s')), 20_000);
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = out.match(/listening (\d+)/);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        child.once('exit', (code) => reject(new Error(`the pod metrics server exited with ${code}`)));
      });
      const s = new PodMetricsServer(ns.nsIp, port, dir);
      s.#child = child;
      s.#netns = ns;
      return s;
    } catch (e) {
      await ns.remove();
      throw e;
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    }
    await this.#netns?.remove();
  }

  /** Points a pod's metrics at this server: pod IP = the namespace's address, prometheus.io/port = our port. */
  async route(c: Cluster, namespace: string, pod: string): Promise<void> {
    await c.k(['annotate', 'pod', '-n', namespace, pod, '--overwrite', `prometheus.io/port=${this.port}`]);
    await c.k([
      'patch',
      'pod',
      '-n',
      namespace,
      pod,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { podIP: this.host, podIPs: [{ ip: this.host }] } }),
    ]);
  }
}
