// The local probe end to end: the real probe script under /bin/sh on fixture trees (container-like
// roots with their own /proc, /sys/fs/cgroup, mounts and binaries), parsed and judged by the real
// checks. The check tables prove each judge; these prove that what the probe reads reaches it.
import { describe, expect, it } from 'vitest';
import { checkFixture, one } from '../helpers/run-local.ts';
import { fakeJwt, type FixtureOptions } from '../helpers/fixture-root.ts';
import { CHECKS } from '../../checks/index.ts';
import { tempDir } from '../helpers/tmp.ts';

const TOKEN_PATH = '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';
const inAnHour = Math.floor(Date.now() / 1000) + 3600;

const runnerEnv = {
  ACCOUNT_ID: '12345',
  AGENT_ID: 'agent-0001',
  MATILLION_REGION: 'eu1',
  CLOUD_PROVIDER: 'AWS',
  OAUTH_CLIENT_ID: 'client-id-value',
  OAUTH_CLIENT_SECRET: 'oauth-secret-value',
  AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/matillion-runner',
  AWS_WEB_IDENTITY_TOKEN_FILE: TOKEN_PATH,
  JAVA_TOOL_OPTIONS: '-XX:MaxRAMPercentage=75',
};

const healthy: FixtureOptions = {
  real: ['python3', 'java'],
  env: runnerEnv,
  capBnd: '0000000000000000', // every capability dropped, bounding set included
  files: { [TOKEN_PATH]: fakeJwt({ exp: inAnHour, sub: 'system:serviceaccount:matillion:matillion-runner-sa' }) },
};
// RESTRICTED script mode needs sudo, which no_new_privs (the hardened default) disables.
const restrictedMode: FixtureOptions = {
  files: { 'usr/bin/sudo': '' },
  passwd: ['restricteduser:x:1001:1001::/home/restricteduser:/bin/sh'],
  group: ['restricteduser:x:1001:'],
};
const variant = (o: FixtureOptions): FixtureOptions => ({
  ...healthy,
  real: [],
  ...o,
  env: { ...runnerEnv, ...(o.env ?? {}) },
  files: { ...healthy.files, ...(o.files ?? {}) },
});
const without = (name: string) => Object.fromEntries(Object.entries(runnerEnv).filter(([k]) => k !== name));

describe('a healthy runner environment', () => {
  it('passes every in-pod check (not-applicable ones skip with a reason)', async () => {
    const rs = await checkFixture(healthy);
    // identity.exchange: off in tests (no cloud); network.script-runner: no script runner configured.
    const skipped = new Set([
      'credentials.azure',
      'credentials.gcp',
      'config.waivers',
      'identity.exchange',
      'network.script-runner',
    ]);
    for (const c of CHECKS.filter((x) => x.scope === 'pod' || x.scope === 'run')) {
      const r = one(rs, c.id);
      if (c.id === 'runtime.restricted-mode') {
        expect(r.status).toBe('info');
      } else if (skipped.has(c.id)) {
        expect(r.status, c.id).toBe('skip');
        expect(r.skipReason).toBe('not-applicable');
      } else {
        expect(`${c.id}: ${r.status}: ${r.message}`).toMatch(new RegExp(`^${c.id.replace(/\./g, '\\.')}: pass:`));
      }
    }
    expect(one(rs, 'runtime.python.present').message).toMatch(/python3 3\.\d+/);
    expect(one(rs, 'credentials.token-expiry').message).toMatch(/AWS_WEB_IDENTITY_TOKEN_FILE: token valid until/);
    expect(one(rs, 'resources.jvm-heap').details).toMatchObject({ heapPercentOfLimit: 75 });
  });
});

type Case = [id: string, what: string, fixture: FixtureOptions, status: string, message: RegExp];
const py137 = '#!/bin/sh\nif [ "$1" = "-c" ]; then echo "rd-inline-ok Python 3.11.2"; exit 0; fi\nexit 137\n';
const dfFull =
  '#!/bin/sh\ncase "$2" in */tmp) echo "tmpfs 204800 204000 800 99% /tmp";; */dev/shm) echo "shm 16384 0 16384 0% /dev/shm";; *) exec /bin/df "$@";; esac\n';

const cases: Case[] = [
  ['runtime.python.present', 'python3 missing', variant({ real: ['java'] }), 'fail', /not found on PATH/],
  [
    'runtime.python.inline',
    'python3 -c broken',
    variant({ bin: { python3: '#!/bin/sh\necho "ImportError: libpython3.11.so" >&2\nexit 127\n' } }),
    'fail',
    /exited with 127/,
  ],
  [
    'runtime.python.file',
    'security agent kills file execution',
    variant({ bin: { python3: py137 } }),
    'fail',
    /killed \(exit 137\).*security agent/,
  ],
  ['runtime.java.present', 'java missing', variant({ real: ['python3'] }), 'warn', /java was not found/],
  [
    'runtime.restricted-mode',
    'sudo without restricteduser',
    variant({ files: { 'usr/bin/sudo': '' } }),
    'warn',
    /missing restricteduser user, restricteduser group/,
  ],
  [
    'security.no-new-privileges',
    'no_new_privs set while RESTRICTED mode relies on sudo',
    variant(restrictedMode),
    'warn',
    /sudo cannot gain privileges/,
  ],
  [
    'filesystem.tmp.writable',
    '/tmp on a read-only filesystem',
    variant({ readOnly: ['/tmp'] }),
    'fail',
    /not writable/,
  ],
  ['filesystem.tmp.exec', '/tmp mounted noexec', variant({ mounts: [['/tmp', 'rw,nosuid,noexec']] }), 'fail', /noexec/],
  [
    'filesystem.tmp.free',
    '/tmp nearly full',
    variant({ bin: { df: dfFull } }),
    'fail',
    /800 KiB free, below the 256 MiB minimum/,
  ],
  ['filesystem.shm.size', '/dev/shm 16 MiB', variant({ bin: { df: dfFull } }), 'warn', /16\.0 MiB, below 40 MiB/],
  [
    'filesystem.workdir.writable',
    'working directory missing',
    variant({ dirs: ['/tmp', '/dev/shm'] }),
    'fail',
    /\/home\/agentuser does not exist/,
  ],
  [
    'filesystem.workdir.writable',
    'working directory read-only',
    variant({ readOnly: ['/home/agentuser'] }),
    'fail',
    /not writable/,
  ],
  [
    'filesystem.rootfs.readonly',
    'writable root filesystem',
    variant({ mounts: [['/', 'rw,relatime']] }),
    'info',
    /guides promise readOnlyRootFilesystem/,
  ],
  [
    'resources.memory',
    'no memory limit (v2)',
    variant({ cgroup: { version: 2, memoryMax: 'max', memoryCurrent: '100' } }),
    'warn',
    /no memory limit \(cgroup v2\)/,
  ],
  [
    'resources.memory',
    'no memory limit (v1)',
    variant({ cgroup: { version: 1, limit: '9223372036854771712', usage: '100' } }),
    'warn',
    /no memory limit \(cgroup v1\)/,
  ],
  [
    'resources.memory',
    '85 % of the limit used (v1)',
    variant({ cgroup: { version: 1, limit: String(4 * 1024 ** 3), usage: String(Math.round(4 * 1024 ** 3 * 0.85)) } }),
    'warn',
    /85 %/,
  ],
  [
    'resources.memory',
    '97 % of the limit used (v2)',
    variant({ cgroup: { version: 2, memoryMax: '1000000', memoryCurrent: '970000' } }),
    'fail',
    /about to be OOM-killed/,
  ],
  [
    'resources.oom-kills',
    'OOM kills (v2)',
    variant({ cgroup: { version: 2, memoryMax: '4294967296', memoryCurrent: '1', oomKill: 3 } }),
    'fail',
    /3 OOM kill/,
  ],
  [
    'resources.oom-kills',
    'OOM kills (v1)',
    variant({ cgroup: { version: 1, limit: '4294967296', usage: '1', oomKill: 1 } }),
    'fail',
    /1 OOM kill/,
  ],
  [
    'resources.cpu',
    'no CPU quota',
    variant({ cgroup: { version: 2, memoryMax: '4294967296', memoryCurrent: '1', cpuMax: 'max 100000' } }),
    'info',
    /no CPU quota \(cgroup v2\)/,
  ],
  [
    'resources.pids',
    'pids nearly exhausted',
    variant({
      cgroup: { version: 2, memoryMax: '4294967296', memoryCurrent: '1', pidsMax: '4096', pidsCurrent: '3900' },
    }),
    'warn',
    /3900 of 4096/,
  ],
  [
    'resources.jvm-heap',
    '-Xmx above the limit',
    variant({ env: { JAVA_TOOL_OPTIONS: '-Xmx8g' } }),
    'fail',
    /larger than the container memory limit 4\.0 GiB/,
  ],
  [
    'resources.jvm-heap',
    'MaxRAMPercentage 95',
    variant({ env: { JAVA_TOOL_OPTIONS: '-XX:MaxRAMPercentage=95' } }),
    'warn',
    /95 % of the 4\.0 GiB limit/,
  ],
  ['resources.overcommit', 'strict overcommit', variant({ overcommit: 2 }), 'warn', /strict/],
  ['resources.ulimits', 'nofile 1024', variant({ nofile: ['1024', '4096'] }), 'warn', /open files 1024 < 4096/],
  ['security.non-root', 'runs as root', variant({ uid: 0, gid: 0 }), 'warn', /runs as root/],
  [
    'security.no-new-privileges',
    'escalation allowed',
    variant({ noNewPrivs: 0 }),
    'warn',
    /privilege escalation is allowed/,
  ],
  ['security.seccomp', 'seccomp disabled', variant({ seccomp: 0 }), 'warn', /seccomp is disabled/],
  ['security.capabilities', 'SYS_ADMIN effective', variant({ capEff: '0000000000200000' }), 'warn', /CAP_SYS_ADMIN/],
  [
    'security.capabilities',
    'runtime default set',
    variant({ capEff: '00000000a80425fb' }),
    'info',
    /14 capabilities are effective/,
  ],
  [
    'security.preload',
    'an agent library preloaded',
    variant({ preload: '/opt/agent/lib/libinject.so\n' }),
    'warn',
    /libinject\.so/,
  ],
  [
    'environment.required',
    'AGENT_ID missing',
    { ...variant({}), env: without('AGENT_ID') },
    'fail',
    /missing or empty: AGENT_ID/,
  ],
  [
    'environment.placeholders',
    'region never configured',
    variant({ env: { MATILLION_REGION: '<MatillionRegion>' } }),
    'fail',
    /MATILLION_REGION=<MatillionRegion>/,
  ],
  [
    'environment.region',
    'unknown region',
    variant({ env: { MATILLION_REGION: 'xx9' } }),
    'warn',
    /not one of us1, eu1, au1/,
  ],
  [
    'environment.cloud-provider',
    'CLOUD_PROVIDER missing',
    { ...variant({}), env: without('CLOUD_PROVIDER') },
    'warn',
    /not set/,
  ],
  [
    'environment.cloud-provider',
    'CLOUD_PROVIDER invalid',
    variant({ env: { CLOUD_PROVIDER: 'ORACLE' } }),
    'fail',
    /"ORACLE"/,
  ],
  [
    'credentials.aws',
    'IRSA ARN placeholder',
    variant({ env: { AWS_ROLE_ARN: '<ServiceAccountRoleArn>' } }),
    'fail',
    /unfilled placeholder/,
  ],
  [
    'credentials.aws',
    'IRSA ARN malformed',
    variant({ env: { AWS_ROLE_ARN: 'matillion-runner-role' } }),
    'warn',
    /does not look like/,
  ],
  [
    'credentials.aws',
    'IRSA token file missing',
    variant({ env: { AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/none/token' } }),
    'fail',
    /token file is missing/,
  ],
  [
    'credentials.aws',
    'static keys',
    {
      ...variant({}),
      env: {
        ...without('AWS_ROLE_ARN'),
        AWS_WEB_IDENTITY_TOKEN_FILE: '',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'static-secret-value',
      },
    },
    'info',
    /static AWS access keys/,
  ],
  [
    'credentials.aws',
    'no credentials',
    { ...variant({}), env: { ...without('AWS_ROLE_ARN'), AWS_WEB_IDENTITY_TOKEN_FILE: '' } },
    'fail',
    /no AWS credentials/,
  ],
  [
    'credentials.azure',
    'Azure without workload identity',
    variant({ env: { CLOUD_PROVIDER: 'AZURE' } }),
    'fail',
    /no Azure credentials/,
  ],
  [
    'credentials.azure',
    'Azure service principal',
    variant({
      env: {
        CLOUD_PROVIDER: 'AZURE',
        AZURE_CLIENT_ID: 'c',
        AZURE_TENANT_ID: 't',
        AZURE_CLIENT_SECRET: 'sp-secret-value',
      },
    }),
    'info',
    /service principal/,
  ],
  [
    'credentials.azure',
    'Azure WI without ids',
    variant({ env: { CLOUD_PROVIDER: 'AZURE', AZURE_FEDERATED_TOKEN_FILE: TOKEN_PATH } }),
    'fail',
    /AZURE_CLIENT_ID and AZURE_TENANT_ID missing/,
  ],
  [
    'credentials.gcp',
    'GCP key file',
    variant({ env: { CLOUD_PROVIDER: 'GCP', GOOGLE_APPLICATION_CREDENTIALS: '/var/secrets/key.json' } }),
    'info',
    /static service-account key file/,
  ],
  [
    'credentials.token-expiry',
    'expired token',
    variant({ files: { [TOKEN_PATH]: fakeJwt({ exp: 1_600_000_000 }) } }),
    'fail',
    /token expired at 2020-09-13/,
  ],
];

describe('each check catches its fault', () => {
  it.concurrent.each(cases)('%s: %s', async (id, _what, fixture, status, message) => {
    const r = one(await checkFixture(fixture, [id, 'runtime.python.present', 'filesystem.tmp.writable']), id);
    expect(r.status).toBe(status);
    expect(r.message).toMatch(message);
    if (status === 'warn' || status === 'fail') expect(r.remediation?.text.length).toBeGreaterThan(10);
  });
});

describe('positive cases beyond the healthy fixture', () => {
  it('RESTRICTED script mode with sudo, restricteduser and escalation allowed passes', async () => {
    const rs = await checkFixture(variant({ ...restrictedMode, noNewPrivs: 0 }), ['runtime.restricted-mode']);
    expect(one(rs, 'runtime.restricted-mode').status).toBe('pass');
  });
  it('Azure workload identity with token and ids passes', async () => {
    const r = one(
      await checkFixture(
        variant({
          env: {
            CLOUD_PROVIDER: 'AZURE',
            AZURE_FEDERATED_TOKEN_FILE: TOKEN_PATH,
            AZURE_CLIENT_ID: 'cid',
            AZURE_TENANT_ID: 'tid',
          },
        }),
        ['credentials.azure'],
      ),
      'credentials.azure',
    );
    expect(r.status).toBe('pass');
  });
  it('GCP without a key file passes (workload identity)', async () => {
    const r = one(
      await checkFixture(variant({ env: { CLOUD_PROVIDER: 'GCP' } }), ['credentials.gcp']),
      'credentials.gcp',
    );
    expect(r.status).toBe('pass');
  });
  it('cgroup v1 limits are read from the controller roots', async () => {
    const rs = await checkFixture(
      variant({
        cgroup: {
          version: 1,
          limit: String(8 * 1024 ** 3),
          usage: String(2 * 1024 ** 3),
          quota: '400000',
          period: '100000',
          pidsMax: '1000',
          pidsCurrent: '10',
        },
      }),
      ['resources.memory', 'resources.cpu', 'resources.pids'],
    );
    expect(one(rs, 'resources.memory').message).toBe('2.0 GiB of 8.0 GiB used (25 %)');
    expect(one(rs, 'resources.cpu').message).toBe('CPU quota 4.00 cores');
    expect(one(rs, 'resources.pids').status).toBe('pass');
  });
  it('no cgroup filesystem at all is reported, not crashed on', async () => {
    const rs = await checkFixture(variant({ cgroup: { version: 'none' } }), [
      'resources.memory',
      'resources.oom-kills',
    ]);
    expect(one(rs, 'resources.memory').status).toBe('warn');
    expect(one(rs, 'resources.oom-kills').status).toBe('skip');
  });
  it('dependent python checks are skipped, not failed, when python3 is missing', async () => {
    const rs = await checkFixture(variant({}), [
      'runtime.python.present',
      'runtime.python.inline',
      'runtime.python.file',
    ]);
    expect(one(rs, 'runtime.python.inline')).toMatchObject({
      status: 'skip',
      skipReason: 'blocked',
      message: 'blocked by runtime.python.present',
    });
    expect(one(rs, 'runtime.python.file').status).toBe('skip');
  });
});

describe('the JVM flags of running processes', () => {
  it('reads java processes only: not a shell whose script mentions java, not a `java -version`', async () => {
    const rs = await checkFixture(
      variant({
        real: ['java'],
        env: { JAVA_TOOL_OPTIONS: '' },
        files: {
          'proc/4711/cmdline': 'java\0-XX:MaxRAMPercentage=60\0-cp\0/opt/runner\0Agent\0',
          'proc/4712/cmdline': 'sh\0-c\0exec java -XX:MaxRAMPercentage=95 -cp x Agent\0',
          'proc/4713/cmdline': '/usr/bin/java\0-XX:MaxRAMPercentage=99\0-version\0',
        },
      }),
    );
    expect(one(rs, 'resources.jvm-heap').details).toMatchObject({ heapPercentOfLimit: 60, sources: ['pid 4711'] });
  });
});

describe('the runtimes run side by side', () => {
  it('java starts while python3 is still running', async () => {
    // Stand-ins that signal through files and wait for each other, each at most 5 s: python3 -c marks
    // that it runs and stays until java has seen the mark; java waits for the mark. Run one after the
    // other, python3 gives up, removes its mark, and java then never sees it. An order, not a time, is
    // asserted.
    const until = (f: string) =>
      `i=0; while [ ! -e "$RD_MARKS/${f}" ] && [ $i -lt 100 ]; do /bin/sleep 0.05; i=$((i+1)); done`;
    const marks = tempDir('rd-marks-');
    const rs = await checkFixture(
      variant({
        env: { RD_MARKS: marks },
        bin: {
          python3: `#!/bin/sh\ncase "$1" in -c) : > "$RD_MARKS/py"; ${until('java-saw-py')}; rm -f "$RD_MARKS/py"; echo "rd-inline-ok Python 3.11.9";; *) echo rd-file-ok;; esac\n`,
          java: `#!/bin/sh\n${until('py')}\nif [ -e "$RD_MARKS/py" ]; then : > "$RD_MARKS/java-saw-py"; s=yes; else s=no; fi\necho "openjdk version \\"17.0.9\\" saw-python=$s" >&2\n`,
        },
      }),
    );
    expect(one(rs, 'runtime.java.present').message).toMatch(/saw-python=yes/);
    expect(one(rs, 'runtime.python.inline').status).toBe('pass');
  });
});
