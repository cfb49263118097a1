// `runner-doctor check --only logs` end to end: the built CLI against the real control plane (the run
// plans the runner's namespace and release as always), reading the runner's logs through the REAL
// cloud SDKs from local servers on 127.0.0.1 that STAND IN FOR THE CLOUD SERVICES (Entra ID + the Log
// Analytics query API over HTTPS with the test CA, CloudWatch Logs' JSON 1.1 protocol). The run uses
// workload identity (a federated token file) for Azure and static keys for AWS, as a Job would; a
// tripwire proxy proves no request leaves 127.0.0.1; canaries in log lines, the access token and the
// AWS secret appear in no output, no snapshot. The snapshot judges the same offline; without the flags
// the checks skip and no store is asked; a 403 is `error` naming the role to grant (exit 4).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster } from '../cluster/cluster.ts';
import { NS, RELEASE } from '../cluster/fixture.ts';
import {
  type AzureStandIn,
  azureStandIn,
  CLIENT_ID,
  type CloudWatchStandIn,
  cloudWatchStandIn,
  errorGroupsTable,
  restartsTable,
  TENANT,
  WORKSPACE,
} from '../helpers/cloud-servers.ts';
import { fakeJwt } from '../helpers/fixture-root.ts';
import { makePki, type Pki } from '../helpers/net-servers.ts';
import { tempDir } from '../helpers/tmp.ts';

const skip = inject('clusterSkip');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
const BIN = join(process.cwd(), 'bin/runner-doctor');

interface Result {
  code: string;
  status: string;
  message: string;
  target: string;
  durationMs: number;
  remediation?: { text: string; command?: string };
}
interface Report {
  results: Result[];
  fatal?: { message: string };
}

const CANARY = {
  password: 'CANARY-e2e-pw-51c9',
  awsSecret: 'CANARY/e2e/aws/secret/0a1b2c3d',
  sas: 'CANARYsasSig0123456789%3D',
};
const JWT = fakeJwt({ sub: `system:serviceaccount:${NS}:runner-doctor`, exp: 1_900_000_000 });
const POD = `${RELEASE}-app-7d9f-abcde`;

let pki: Pki;
let az: AzureStandIn;
let cw: CloudWatchStandIn;
let dir: string;
let tokenFile: string;
const trip = { seen: [] as string[], port: 0, srv: undefined as http.Server | undefined };

/** The built CLI, asynchronously: the stand-ins live in this process and must keep answering. */
function doctor(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'check', '--no-derived-targets', ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        KUBECONFIG: c.kubeconfig,
        // Anything that is not for 127.0.0.1 would go to the tripwire (the Azure SDK honours these).
        HTTPS_PROXY: `http://127.0.0.1:${trip.port}`,
        HTTP_PROXY: `http://127.0.0.1:${trip.port}`,
        NO_PROXY: '127.0.0.1,localhost',
        AWS_EC2_METADATA_DISABLED: 'true',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const parse = (stdout: string): Report => JSON.parse(stdout) as Report;
const codes = (r: Report) => r.results.map((x) => `${x.code} @${x.target}`);

/** Workload identity for Azure (the token file a projected volume would hold), static keys for AWS. */
const cloudEnv = () => ({
  AZURE_FEDERATED_TOKEN_FILE: tokenFile,
  AZURE_CLIENT_ID: CLIENT_ID,
  AZURE_TENANT_ID: TENANT,
  AZURE_AUTHORITY_HOST: az.url,
  AWS_ACCESS_KEY_ID: 'AKIAE2ETESTTEST00000',
  AWS_SECRET_ACCESS_KEY: CANARY.awsSecret,
  AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cw.url,
});
const logFlags = () => [
  '--azure-workspace',
  WORKSPACE,
  '--azure-logs-endpoint',
  `${az.url}/v1`,
  '--ca',
  pki.caFile,
  '--aws-log-group',
  'prod-eks',
  '--aws-region',
  'eu-west-1',
  '--since',
  '6h',
];

const t = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
const azureAnswer = (kql: string) =>
  kql.startsWith('KubePodInventory')
    ? {
        status: 200,
        body: {
          tables: [
            restartsTable([
              { ns: NS, pod: POD, first: 0, last: 2, lastStatus: '{"reason":"OOMKilled","exitCode":137}' },
            ]),
          ],
        },
      }
    : {
        status: 200,
        body: {
          tables: [
            errorGroupsTable([
              { error: false, count: 2400, pods: [POD], time: t(1), msg: 'INFO heartbeat' },
              {
                error: true,
                count: 31,
                pods: [POD],
                time: t(4),
                msg: `ERROR c.m.a.AuthClient : keycloak token request failed: 401 invalid_client password=${CANARY.password}`,
              },
              {
                error: true,
                count: 9,
                pods: [POD],
                time: t(20),
                msg: `ERROR c.m.a.Upload : PUT https://acme.blob.core.windows.net/c/f?sv=2022-11-02&sig=${CANARY.sas} failed: 500 ServerBusy`,
              },
            ]),
          ],
        },
      };

beforeAll(async () => {
  if (skip) return;
  pki = makePki();
  dir = tempDir('rd-logs-e2e-');
  tokenFile = join(dir, 'azure-identity-token');
  writeFileSync(tokenFile, JWT);
  az = await azureStandIn(pki, JWT, { query: azureAnswer });
  cw = await cloudWatchStandIn({
    records: [
      {
        timestamp: t(3).replace('T', ' ').replace('Z', ''),
        log: 'ERROR c.m.a.Ext : Invalid bucket name <ExtensionLibraryLocation>',
        pod: POD,
      },
      {
        timestamp: t(7).replace('T', ' ').replace('Z', ''),
        log: 'ERROR c.m.a.Ext : Invalid bucket name <ExtensionLibraryLocation>',
        pod: POD,
      },
    ],
    lines: 700,
    runningPolls: 2,
  });
  trip.srv = http.createServer((req, res) => {
    trip.seen.push(`${req.method} ${req.url}`);
    res.writeHead(403).end();
  });
  trip.srv.on('connect', (req, sock: net.Socket) => {
    trip.seen.push(`CONNECT ${req.url}`);
    sock.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((r) => trip.srv?.listen(0, '127.0.0.1', r));
  trip.port = (trip.srv.address() as net.AddressInfo).port;
});

afterAll(async () => {
  if (skip) return;
  expect(trip.seen, 'a request tried to leave 127.0.0.1').toEqual([]);
  await Promise.all([az.close(), cw.close(), new Promise<void>((r) => trip.srv?.close(() => r()))]);
});

describe.skipIf(Boolean(skip))(
  "check --only logs: the runner's logs from stand-ins for Log Analytics and CloudWatch Logs",
  () => {
    it('known signatures fail with their remediation, unknown ones warn, restarts come from the inventory; nothing secret is printed', async () => {
      const snap = join(dir, 'logs.json');
      const r = await doctor(
        [
          '--namespace',
          NS,
          '--release',
          RELEASE,
          '--only',
          'logs',
          ...logFlags(),
          '--output',
          'json=-',
          '--save-snapshot',
          snap,
        ],
        cloudEnv(),
      );
      const rep = parse(r.stdout);
      expect(rep.fatal).toBeUndefined();
      const ws = `log-analytics:${WORKSPACE}`;
      const group = 'cloudwatch:/aws/containerinsights/prod-eks/application';
      expect(codes(rep)).toEqual([
        `logs.signatures/placeholder-left @${group}`,
        `logs.signatures/oauth-client-rejected @${ws}`,
        `logs.errors/none @${group}`,
        `logs.errors/frequent @${ws}`,
        `logs.restarts/no-history @${group}`,
        `logs.restarts/oom-killed @${NS}/${POD}`,
      ]);
      expect(r.code).toBe(1);
      const oauth = rep.results.find((x) => x.code === 'logs.signatures/oauth-client-rejected');
      expect(oauth?.message).toMatch(/^the identity endpoint rejects the runner's OAuth client .* 31× in the last 6h/);
      expect(oauth?.remediation?.command).toBe(
        `kubectl rollout restart deployment -l app.kubernetes.io/name=matillion-runner -n ${NS}`,
      );
      expect(rep.results.find((x) => x.code === 'logs.signatures/placeholder-left')?.remediation?.text).toMatch(
        /dpcAgent\.dpcAgent\.env\.extensionLibraryLocation/,
      );

      // What the stores were asked: the runner's namespace and release, the window, the derived log group.
      const kql = az.queries.find((q) => q.startsWith('let runner = ContainerLogV2')) ?? '';
      expect(kql).toContain(`| where PodNamespace == "${NS}"`);
      expect(kql).toContain(`| where PodName startswith "${RELEASE}-"`);
      expect(kql).toContain('ago(360m)');
      expect(cw.started[0]).toMatchObject({
        logGroupName: '/aws/containerinsights/prod-eks/application',
        limit: 10_000,
      });
      expect((cw.started[0]?.endTime ?? 0) - (cw.started[0]?.startTime ?? 0)).toBeGreaterThanOrEqual(6 * 3600);
      expect(cw.started[0]?.queryString).toContain(
        `kubernetes.namespace_name = "${NS}" and kubernetes.pod_name like /^${RELEASE}-/`,
      );

      const snapshot = readFileSync(snap, 'utf8');
      for (const out of [r.stdout, r.stderr, snapshot])
        for (const s of [...Object.values(CANARY), az.accessToken, JWT]) expect(out).not.toContain(s);

      // The snapshot judges the same, offline: no store is asked again.
      const asked = [az.seen.length, cw.seen.length];
      const offline = await doctor(['--from-snapshot', snap, '--only', 'logs', '--output', 'json=-']);
      const strip = (x: Report) => x.results.map(({ durationMs: _d, ...rest }) => rest);
      expect(strip(parse(offline.stdout))).toEqual(strip(rep));
      expect(offline.code).toBe(1);
      expect([az.seen.length, cw.seen.length]).toEqual(asked);
    });

    it('without a workspace or log group the logs checks skip, naming the flags, and no store is asked', async () => {
      const asked = [az.seen.length, cw.seen.length];
      const r = await doctor(['--namespace', NS, '--only', 'logs', '--output', 'json=-'], cloudEnv());
      const rep = parse(r.stdout);
      expect(rep.results.map((x) => [x.code, x.status])).toEqual([
        ['logs.signatures/not-configured', 'skip'],
        ['logs.errors/not-configured', 'skip'],
        ['logs.restarts/not-configured', 'skip'],
      ]);
      expect(rep.results[0]?.message).toMatch(
        /--azure-workspace <workspace id> \(Azure Log Analytics\) or --aws-log-group/,
      );
      expect(r.code).toBe(0);
      expect([az.seen.length, cw.seen.length]).toEqual(asked);
    });

    it('a workspace the identity may not read: every logs check is an error naming Log Analytics Reader (exit 4)', async () => {
      az.scenario = {
        query: () => ({
          status: 403,
          body: {
            error: {
              code: 'InsufficientAccessError',
              message: 'The provided credentials have insufficient access to perform the requested operation',
            },
          },
        }),
      };
      try {
        const flags = logFlags().slice(0, 6);
        const r = await doctor(['--namespace', NS, '--only', 'logs', ...flags, '--output', 'json=-'], cloudEnv());
        const rep = parse(r.stdout);
        expect(rep.results.map((x) => x.code)).toEqual([
          'logs.signatures/error-forbidden',
          'logs.errors/error-forbidden',
          'logs.restarts/error-forbidden',
        ]);
        expect(rep.results[0]?.remediation?.text).toMatch(/"Log Analytics Reader" role on the workspace/);
        expect(r.code).toBe(4);
      } finally {
        az.scenario = { query: azureAnswer };
      }
    });

    it('a bad workspace id or window is a usage error', async () => {
      const bad = await doctor(['--namespace', NS, '--only', 'logs', '--azure-workspace', 'my-workspace']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--azure-workspace "my-workspace" is not a workspace ID/);
      const since = await doctor(['--namespace', NS, '--only', 'logs', '--aws-log-group', 'x', '--since', 'yesterday']);
      expect(since.code).toBe(2);
      expect(since.stderr).toMatch(/--since "yesterday": expected minutes, hours or days/);
    });
  },
);
