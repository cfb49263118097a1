// The pod metrics stand-in as a process of its own, started inside a harness network namespace
// (`nsenter --net=… node metrics-server.ts <host> <port> <dir>`), so the address the API server's pod
// proxy dials belongs to that namespace. Pods are told apart by the X-Forwarded-Uri header the proxy
// adds; each is answered from `<dir>/<namespace>/<pod>.prom` when a test wrote one, else with a
// healthy runner's metrics. Prints `listening <port>` once it accepts connections.
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runnerMetrics } from './metrics.ts';

const [host = '127.0.0.1', port = '0', dir = '.'] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  const m = String(req.headers['x-forwarded-uri'] ?? '').match(/\/namespaces\/([^/]+)\/pods\/([^/:]+)/);
  const file = m ? join(dir, m[1] ?? '', `${m[2]}.prom`) : '';
  const body = file && existsSync(file) ? readFileSync(file, 'utf8') : runnerMetrics();
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
});
server.listen(Number(port), host, () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => server.close(() => process.exit(0)));
