// A stand-in for a custom metrics adapter (prometheus-adapter) speaking the real wire protocol of
// custom.metrics.k8s.io/v1beta1, run as a process of its own inside a harness network namespace
// (`nsenter --net=… node custom-metrics-server.ts <host> <port> <dir> <key> <cert> <front-proxy-ca>`).
// It serves HTTPS with our own certificate and accepts only clients holding a certificate of the API
// server's front-proxy CA — so every request it answers came through kube-apiserver's aggregation layer.
// Discovery: GET /apis, /apis/custom.metrics.k8s.io, /apis/custom.metrics.k8s.io/v1beta1 (APIResourceList).
// Metrics: GET …/namespaces/<ns>/pods/<pod|*>/<metric> → a MetricValueList with one item per pod that has
// a value in <dir>/values.json ({ "<ns>": { "<pod>": 3 } }, read on each request); none → 404 NotFound, as
// prometheus-adapter answers when it has no series. Each request is logged to <dir>/requests.log as
// `<X-Remote-User> <method> <path>`. Prints `listening <port>` once it accepts connections.
import https from 'node:https';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [host = '127.0.0.1', port = '0', dir = '.', keyFile = '', certFile = '', caFile = ''] = process.argv.slice(2);
const GROUP = 'custom.metrics.k8s.io';
const GV = `${GROUP}/v1beta1`;
const METRICS = ['app_active_task_count', 'app_active_request_count'];

const json = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
const notFound = (message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason: 'NotFound',
  details: { group: GROUP, kind: 'pods' },
  code: 404,
});
const values = (): Record<string, Record<string, number>> => {
  const f = join(dir, 'values.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : {};
};

const server = https.createServer(
  {
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    ca: readFileSync(caFile),
    requestCert: true,
    rejectUnauthorized: true,
  },
  (req, res) => {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    appendFileSync(
      join(dir, 'requests.log'),
      `${req.headers['x-remote-user'] ?? '-'} ${req.method} ${decodeURIComponent(url.pathname)}\n`,
    );
    const path = url.pathname.replace(/\/$/, '');
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return res.writeHead(200).end('ok');
    const version = { groupVersion: GV, version: 'v1beta1' };
    const group = { name: GROUP, versions: [version], preferredVersion: version };
    if (path === '/apis') return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [group] });
    if (path === `/apis/${GROUP}`) return json(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...group });
    if (path === `/apis/${GV}`)
      return json(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: GV,
        resources: METRICS.flatMap((m) => [
          { name: `pods/${m}`, singularName: '', namespaced: true, kind: 'MetricValueList', verbs: ['get'] },
          { name: `namespaces/${m}`, singularName: '', namespaced: false, kind: 'MetricValueList', verbs: ['get'] },
        ]),
      });
    const m = path.match(new RegExp(`^/apis/${GV.replaceAll('.', '\\.')}/namespaces/([^/]+)/pods/([^/]+)/([^/]+)$`));
    if (!m) return json(res, 404, notFound(`the server could not find the requested resource (${path})`));
    const [, namespace = '', pod = '', metric = ''] = m.map((x) => decodeURIComponent(x));
    const known = values()[namespace] ?? {};
    const pods = Object.entries(known).filter(([name]) => pod === '*' || name === pod);
    if (!METRICS.includes(metric) || pods.length === 0)
      return json(res, 404, notFound(`the server could not find the metric ${metric} for pods`));
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return json(res, 200, {
      kind: 'MetricValueList',
      apiVersion: GV,
      metadata: {},
      items: pods.map(([name, value]) => ({
        describedObject: { kind: 'Pod', namespace, name, apiVersion: '/v1' },
        metricName: metric,
        timestamp: now,
        value: String(value),
        selector: null,
      })),
    });
  },
);
server.listen(Number(port), host, () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => server.close(() => process.exit(0)));
