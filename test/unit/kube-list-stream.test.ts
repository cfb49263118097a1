// Lists are read as streams: the item splitter against JSON.parse on every chunking of awkward input,
// and the client's list() against a real local HTTP server — gzip, pages, items reduced as they arrive,
// one keep-alive connection, a page cut off half-way retried without duplicating what it had delivered,
// and a reducer's exception passed on as the bug it is.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListStreamParser } from '../../src/facts/kube/list-stream.ts';
import { KubeClient, KubeError, loadAccess } from '../../src/facts/kube/client.ts';
import { tempDir } from '../helpers/tmp.ts';

function split(text: string, sizes: number[]): Buffer[] {
  const b = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  let i = 0;
  let k = 0;
  while (i < b.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

function parseStreamed(chunks: Buffer[]): { items: unknown[]; rest: unknown } {
  const items: unknown[] = [];
  const p = new ListStreamParser((t) => items.push(JSON.parse(t)));
  for (const c of chunks) p.feed(c);
  return { items, rest: JSON.parse(p.end()) };
}

const AWKWARD = {
  kind: 'PodList',
  apiVersion: 'v1',
  // A key named items inside metadata must not be mistaken for the list's items.
  metadata: { resourceVersion: '42', continue: 'tok"en{[', items: ['not', 'these'] },
  items: [
    {
      metadata: { name: 'a', annotations: { x: '}]"\\', y: 'üñí©ødé ☃ 𝄞', z: '\\"{' } },
      spec: { c: [[1, 2], { d: [] }] },
    },
    { metadata: { name: 'b' }, s: '\\\\' },
    {},
    { metadata: { name: 'c', labels: { items: '[]' } } },
  ],
  trailing: { items: [{ no: 1 }] },
};

describe('ListStreamParser', () => {
  it('cuts exactly the top-level items out, whatever the chunk boundaries (compact and indented)', () => {
    for (const text of [JSON.stringify(AWKWARD), JSON.stringify(AWKWARD, null, 2)]) {
      const { items: _all, ...rest } = AWKWARD;
      for (const sizes of [[1], [2], [3], [7], [13], [64], [1, 5, 2, 11], [text.length]]) {
        const got = parseStreamed(split(text, sizes));
        expect(got.items).toEqual(AWKWARD.items);
        expect(got.rest).toEqual({ ...rest, items: [] });
      }
    }
  });

  it('an empty list, a list without items and a cut-off list', () => {
    expect(parseStreamed([Buffer.from('{"kind":"List","items":[]}')])).toEqual({
      items: [],
      rest: { kind: 'List', items: [] },
    });
    expect(parseStreamed([Buffer.from('{"kind":"Status","items":null}')]).rest).toEqual({
      kind: 'Status',
      items: null,
    });
    const p = new ListStreamParser(() => {});
    p.feed(Buffer.from('{"items":[{"a":1},{"b":'));
    expect(() => p.end()).toThrow(/ended before/);
  });

  it('refuses an item larger than its cap', () => {
    const p = new ListStreamParser(() => {}, { maxItemBytes: 100 });
    p.feed(Buffer.from('{"items":[{"a":"'));
    expect(() => p.feed(Buffer.from(`${'x'.repeat(200)}`))).toThrow(/larger than 100 bytes/);
  });
});

describe('KubeClient.list against a local API stand-in', () => {
  let server: Server;
  let dir: string;
  let kubeconfig: string;
  const sockets = new Set<Socket>();
  let connections = 0;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    server.on('connection', (s) => {
      connections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    dir = tempDir('rd-list-');
    kubeconfig = join(dir, 'kubeconfig');
    const port = (server.address() as AddressInfo).port;
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: { token: 'test-token' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const pods = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      metadata: { name: `pod-${from + i}`, namespace: 'ns', managedFields: [{ big: 'x'.repeat(500) }] },
      spec: { nodeName: `node-${(from + i) % 3}` },
    }));

  /** Writes the body gzipped in small pieces, with a pause between them, so items arrive across chunks. */
  async function dribble(res: ServerResponse, body: string, cutAfter?: number): Promise<void> {
    const gz = gzipSync(body);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    for (let i = 0; i < gz.length; i += 97) {
      if (cutAfter !== undefined && i >= cutAfter) {
        res.socket?.destroy();
        return;
      }
      res.write(gz.subarray(i, i + 97));
      await new Promise((r) => setImmediate(r));
    }
    res.end();
  }

  it('pages through continue tokens, reduces each item as it arrives, over one keep-alive connection', async () => {
    const seen: string[] = [];
    handler = (req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      seen.push(
        `${u.searchParams.get('limit')} ${u.searchParams.get('resourceVersion')} ${u.searchParams.get('continue')}`,
      );
      const page = Number(u.searchParams.get('continue') ?? 0);
      const next = page < 2 ? String(page + 1) : undefined;
      void dribble(res, JSON.stringify({ kind: 'PodList', metadata: { continue: next }, items: pods(page * 40, 40) }));
    };
    connections = 0;
    const client = new KubeClient(await loadAccess({ kubeconfig }));
    const names = await client.list<{ metadata: { name: string } }, string>('/api/v1/pods', {
      cached: true,
      limit: 40,
      reduce: (p) => p.metadata.name,
    });
    expect(names).toEqual(Array.from({ length: 120 }, (_, i) => `pod-${i}`));
    expect(seen).toEqual(['40 0 null', '40 null 1', '40 null 2']);
    expect(client.requests).toBe(3);
    expect(client.decodedBytes).toBeGreaterThan(client.bytes);
    expect(connections).toBe(1);
  });

  it('a page cut off half-way is retried: nothing it delivered is kept twice', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      const body = JSON.stringify({ kind: 'PodList', metadata: {}, items: pods(0, 200) });
      void dribble(res, body, calls === 1 ? 600 : undefined);
    };
    const client = new KubeClient(await loadAccess({ kubeconfig }));
    const names = await client.list<{ metadata: { name: string } }, string>('/api/v1/pods', {
      reduce: (p) => p.metadata.name,
    });
    expect(calls).toBe(2);
    expect(names).toHaveLength(200);
    expect(new Set(names).size).toBe(200);
  });

  it("a reducer's exception is passed on as is (a bug), and an error status is still classified", async () => {
    handler = (_req, res) => void dribble(res, JSON.stringify({ kind: 'PodList', metadata: {}, items: pods(0, 5) }));
    const client = new KubeClient(await loadAccess({ kubeconfig }));
    const boom = new TypeError('reducer bug');
    await expect(
      client.list('/api/v1/pods', {
        reduce: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    handler = (_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          message: 'pods is forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope',
          reason: 'Forbidden',
        }),
      );
    };
    const err = await client.list('/api/v1/pods').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).kind).toBe('forbidden');
  });
});
