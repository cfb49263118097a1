// The floor in Node: the cluster-wide LISTs the checks need, done minimally — all at once, each paged
// (limit 500, the first page from the watch cache with resourceVersion=0), gzip, every page parsed
// (for its continue token) and dropped. Prints one JSON line: wire and decompressed bytes, requests.
// Run as its own process (`node floor-lists.ts <kubeconfig>`), so its time and peak RSS compare with the
// doctor's: `node` start-up included.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { parse } from 'yaml';

export const FLOOR_LISTS = [
  '/api/v1/pods?fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed',
  '/api/v1/nodes',
  '/apis/apps/v1/daemonsets',
];

async function main(kubeconfig: string, paths: string[]): Promise<void> {
  const cfg = parse(readFileSync(kubeconfig, 'utf8')) as {
    clusters: {
      cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string };
    }[];
    users: {
      user: {
        'client-certificate'?: string;
        'client-key'?: string;
        'client-certificate-data'?: string;
        'client-key-data'?: string;
      };
    }[];
  };
  const cl = cfg.clusters[0]!.cluster;
  const u = cfg.users[0]!.user;
  // A file path or base64 data, as kubeconfigs give them.
  const pem = (file?: string, data?: string) => (data ? Buffer.from(data, 'base64') : readFileSync(file ?? ''));
  const server = new URL(cl.server);
  const agent = new https.Agent({
    keepAlive: true,
    ca: pem(cl['certificate-authority'], cl['certificate-authority-data']),
    cert: pem(u['client-certificate'], u['client-certificate-data']),
    key: pem(u['client-key'], u['client-key-data']),
  });
  let wire = 0;
  let decoded = 0;
  let requests = 0;
  let items = 0;
  const get = (path: string) =>
    new Promise<string>((resolve, reject) => {
      requests++;
      https
        .get(
          {
            agent,
            hostname: server.hostname,
            port: server.port,
            path,
            headers: { 'Accept-Encoding': 'gzip', Accept: 'application/json' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (b: Buffer) => (wire += b.length));
            const body = /gzip/.test(String(res.headers['content-encoding'])) ? res.pipe(zlib.createGunzip()) : res;
            body.on('data', (b: Buffer) => {
              decoded += b.length;
              chunks.push(b);
            });
            body.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
            body.on('error', reject);
          },
        )
        .on('error', reject);
    });
  await Promise.all(
    paths.map(async (p) => {
      let cont = '';
      do {
        const sep = p.includes('?') ? '&' : '?';
        const q = cont ? `limit=500&continue=${encodeURIComponent(cont)}` : 'limit=500&resourceVersion=0';
        const page = JSON.parse(await get(`${p}${sep}${q}`)) as { items: unknown[]; metadata: { continue?: string } };
        items += page.items.length;
        cont = page.metadata.continue ?? '';
      } while (cont);
    }),
  );
  agent.destroy();
  process.stdout.write(`${JSON.stringify({ wire, decoded, requests, items })}\n`);
}

if (import.meta.main) {
  const [kubeconfig = '', ...paths] = process.argv.slice(2);
  await main(kubeconfig, paths.length ? paths : FLOOR_LISTS);
}
