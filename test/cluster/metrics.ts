// The runner's /actuator/prometheus for fake pods, reached through the real API server's pod proxy.
// The API server refuses to proxy to loopback pod IPs, so a pod that should be scraped gets this
// machine's first non-loopback IPv4 as its pod IP (a status patch, as a kubelet would report it) and
// its prometheus.io/port annotation points at one HTTP server on that address. The server tells pods
// apart by the X-Forwarded-Uri header the API server's proxy adds, and answers each from a file
// `<dir>/<namespace>/<pod>.prom` (tests write it), else a healthy runner's metrics.
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from './cluster.ts';

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

/** This machine's first non-internal IPv4 address: an address the API server agrees to proxy to. */
export function hostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

export class PodMetricsServer {
  readonly host: string;
  readonly dir: string;
  port = 0;
  #server?: http.Server;
  constructor(host: string, dir: string, port = 0) {
    this.host = host;
    this.dir = dir;
    this.port = port;
  }

  async start(): Promise<this> {
    this.#server = http.createServer((req, res) => {
      const m = String(req.headers['x-forwarded-uri'] ?? '').match(/\/namespaces\/([^/]+)\/pods\/([^/:]+)/);
      const file = m ? join(this.dir, m[1]!, `${m[2]}.prom`) : '';
      const body = file && existsSync(file) ? readFileSync(file, 'utf8') : runnerMetrics();
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    });
    await new Promise<void>((resolve, reject) => this.#server!.once('error', reject).listen(this.port, this.host, resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** Points a pod's metrics at this server: pod IP = the host address, prometheus.io/port = our port. */
  async route(c: Cluster, namespace: string, pod: string): Promise<void> {
    await c.k(['annotate', 'pod', '-n', namespace, pod, '--overwrite', `prometheus.io/port=${this.port}`]);
    await c.k(['patch', 'pod', '-n', namespace, pod, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { podIP: this.host, podIPs: [{ ip: this.host }] } })]);
  }
}
