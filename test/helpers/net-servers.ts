// Real servers on 127.0.0.1 for the egress tests: TLS endpoints under a test CA (good, expired, wrong
// host, issued by an "interceptor" CA nobody trusts, accepting TCP but never finishing TLS), a refused
// port, a plain HTTP CONNECT proxy (allow / 403 / 407), and a UDP DNS server answering NXDOMAIN, SERVFAIL
// or nothing. Certificates come from the real openssl CLI.
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.ts';

const ossl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'ignore' });

export interface Pki {
  dir: string;
  caPem: string;
  caFile: string;
  /** A CA the doctor is not told about: a TLS-intercepting middlebox's. */
  interceptorPem: string;
  interceptorFile: string;
  leaf(
    name: string,
    opts?: { sans?: string[]; ca?: 'test' | 'interceptor'; expired?: boolean },
  ): { key: string; cert: string };
}

export function makePki(): Pki {
  const dir = tempDir('rd-pki-');
  const mkCa = (name: string) => {
    ossl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-days',
        '30',
        '-subj',
        `/CN=${name} Root CA/O=runner-doctor tests`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    return readFileSync(join(dir, `${name}.crt`), 'utf8');
  };
  const caPem = mkCa('test');
  const interceptorPem = mkCa('interceptor');
  let n = 0;
  return {
    dir,
    caPem,
    caFile: join(dir, 'test.crt'),
    interceptorPem,
    interceptorFile: join(dir, 'interceptor.crt'),
    leaf(name, o = {}) {
      const base = `leaf${n++}`;
      const sans = o.sans ?? [name];
      const ext = `subjectAltName=${sans.map((s) => (net.isIP(s) ? `IP:${s}` : `DNS:${s}`)).join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`;
      writeFileSync(join(dir, `${base}.ext`), ext);
      ossl(
        [
          'req',
          '-new',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          `${base}.key`,
          '-out',
          `${base}.csr`,
          '-subj',
          `/CN=${name}`,
        ],
        dir,
      );
      const ca = o.ca ?? 'test';
      if (o.expired) {
        // `openssl ca` is the OpenSSL 3.0 command that sets arbitrary validity dates.
        const cadir = join(dir, `${base}-ca`);
        mkdirSync(cadir);
        writeFileSync(join(cadir, 'index.txt'), '');
        writeFileSync(join(cadir, 'serial'), '1000\n');
        writeFileSync(
          join(cadir, 'ca.cnf'),
          `[ca]\ndefault_ca=d\n[d]\ndir=${cadir}\ndatabase=${cadir}/index.txt\nserial=${cadir}/serial\nnew_certs_dir=${cadir}\ndefault_md=sha256\npolicy=p\nunique_subject=no\ncopy_extensions=none\n[p]\ncommonName=supplied\n[x]\n${ext}`,
        );
        const fmt = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
        const now = Date.now();
        ossl(
          [
            'ca',
            '-batch',
            '-config',
            join(cadir, 'ca.cnf'),
            '-extensions',
            'x',
            '-cert',
            `${ca}.crt`,
            '-keyfile',
            `${ca}.key`,
            '-in',
            `${base}.csr`,
            '-out',
            `${base}.crt`,
            '-startdate',
            fmt(new Date(now - 20 * 86400e3)),
            '-enddate',
            fmt(new Date(now - 86400e3)),
            '-notext',
          ],
          dir,
        );
      } else {
        ossl(
          [
            'x509',
            '-req',
            '-in',
            `${base}.csr`,
            '-CA',
            `${ca}.crt`,
            '-CAkey',
            `${ca}.key`,
            '-CAcreateserial',
            '-out',
            `${base}.crt`,
            '-days',
            '5',
            '-extfile',
            `${base}.ext`,
          ],
          dir,
        );
      }
      return {
        key: readFileSync(join(dir, `${base}.key`), 'utf8'),
        cert: readFileSync(join(dir, `${base}.crt`), 'utf8'),
      };
    },
  };
}

export interface Running {
  port: number;
  close(): Promise<void>;
}

const listen = async (srv: net.Server): Promise<number> => {
  await new Promise<void>((res, rej) => srv.once('error', rej).listen(0, '127.0.0.1', res));
  return (srv.address() as net.AddressInfo).port;
};
const closer = (srv: net.Server, sockets: Set<net.Socket>) => () =>
  new Promise<void>((res) => {
    for (const s of sockets) s.destroy();
    srv.close(() => res());
  });
const track = (srv: net.Server) => {
  const sockets = new Set<net.Socket>();
  srv.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
};

/** An HTTPS server answering every request with `status`. */
export async function httpsServer(cert: { key: string; cert: string }, status = 401): Promise<Running> {
  const srv = tls.createServer({ key: cert.key, cert: cert.cert }, (s) => {
    s.once('data', () => s.end(`HTTP/1.1 ${status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
    s.on('error', () => {});
  });
  srv.on('tlsClientError', () => {});
  const sockets = track(srv);
  return { port: await listen(srv), close: closer(srv, sockets) };
}

/** Accepts TCP and never says a word: a TLS handshake (or HTTP request) to it hangs. `peak`: most connections open at once. */
export async function hangingServer(): Promise<Running & { peak: () => number }> {
  const srv = net.createServer((s) => s.on('error', () => {}));
  const sockets = track(srv);
  let peak = 0;
  srv.on('connection', () => (peak = Math.max(peak, sockets.size)));
  return { port: await listen(srv), close: closer(srv, sockets), peak: () => peak };
}

/** A port nothing listens on (bound, then closed). */
export async function refusedPort(): Promise<number> {
  const srv = net.createServer();
  const port = await listen(srv);
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** An HTTP CONNECT proxy: `deny` hosts get 403, credentials other than `auth` get 407, the rest a real tunnel. */
export async function connectProxy(o: { auth?: string; deny?: string[] } = {}): Promise<Running & { seen: string[] }> {
  const seen: string[] = [];
  const srv = http.createServer((_req, res) => res.writeHead(405).end());
  srv.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    const target = req.url ?? '';
    seen.push(target);
    client.on('error', () => {});
    const host = target.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (o.auth && req.headers['proxy-authorization'] !== `Basic ${Buffer.from(o.auth).toString('base64')}`) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    if (o.deny?.includes(host) || o.deny?.includes(target)) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const port = Number(target.match(/:(\d+)$/)?.[1] ?? 443);
    const upstream = net.connect({ host: host === 'localhost' ? '127.0.0.1' : host, port }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
  });
  const sockets = track(srv);
  return { port: await listen(srv), close: closer(srv, sockets), seen };
}

/** A UDP DNS server: per name, an A record, NXDOMAIN, SERVFAIL or silence. */
export async function dnsServer(answers: Record<string, string | 'NXDOMAIN' | 'SERVFAIL' | 'DROP'>): Promise<Running> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    // Question name.
    let i = 12;
    const labels: string[] = [];
    while (i < msg.length && msg[i] !== 0) {
      const len = msg[i]!;
      labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
      i += len + 1;
    }
    const qEnd = i + 5; // zero byte + QTYPE + QCLASS
    const qtype = msg.readUInt16BE(i + 1);
    const name = labels.join('.').toLowerCase();
    const a = answers[name] ?? 'NXDOMAIN';
    if (a === 'DROP') return;
    const rcode = a === 'NXDOMAIN' ? 3 : a === 'SERVFAIL' ? 2 : 0;
    const withAnswer = rcode === 0 && qtype === 1;
    const head = Buffer.alloc(12);
    msg.copy(head, 0, 0, 2);
    head.writeUInt16BE(0x8180 | rcode, 2);
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(withAnswer ? 1 : 0, 6);
    const question = msg.subarray(12, qEnd);
    const parts = [head, question];
    if (withAnswer) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(30, 6);
      rr.writeUInt16BE(4, 10);
      for (const [k, o] of a.split('.').entries()) rr.writeUInt8(Number(o), 12 + k);
      parts.push(rr);
    }
    sock.send(Buffer.concat(parts), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

/**
 * A TCP proxy on 127.0.0.1 to `port` that holds every chunk the server sends for `delayMs` before
 * passing it on, in order: every API response (TLS records included) arrives at least that late.
 */
export async function delayingProxy(
  port: number,
  delayMs: number,
): Promise<Running & { connections: () => number; dropped: () => number }> {
  let connections = 0;
  // Response chunks that were due after their client had gone: a client that waited for everything drops none.
  let dropped = 0;
  const srv = net.createServer((client) => {
    connections++;
    const upstream = net.connect({ host: '127.0.0.1', port });
    let chain = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      const due = Date.now() + delayMs;
      chain = chain
        .then(() => new Promise<void>((r) => setTimeout(r, Math.max(0, due - Date.now()))))
        .then(() => {
          if (client.destroyed) dropped++;
          else client.write(chunk);
        });
    });
    client.pipe(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', () => void chain.then(end));
  });
  const sockets = track(srv);
  return {
    port: await listen(srv),
    close: closer(srv, sockets),
    connections: () => connections,
    dropped: () => dropped,
  };
}
