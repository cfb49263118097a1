// runner-doctor's command line. Every way it can end is an exit code from EXIT, and every error a
// user can cause is one line on stderr (never a stack trace).
import { type Command, type Program, parseCommandLine } from './argv.ts';
import { EXIT } from '../engine/report.ts';
import { UsageError } from './errors.ts';
import { toolVersion } from './version.ts';
import type { CheckArgs } from './check.ts';
import type { ManifestArgs } from './manifest.ts';

const EXAMPLES: [string, string][] = [
  [
    '$0 check --namespace matillion',
    'the live deployment: cluster checks, and in-pod checks in every runner pod through exec',
  ],
  ['$0 check --local', 'check the environment this runs in (a runner container, or any Linux host)'],
  [
    '$0 check --local --output junit=doctor.xml --output json=doctor.json',
    'terminal report plus JUnit and JSON in one run',
  ],
  ['$0 check --local --output json=- --fail-on warn', 'JSON on stdout; exit 1 on any warning'],
  ['$0 check --local --only filesystem --skip filesystem.shm.size', 'select by category, skip one check by id'],
  ['$0 check -n matillion --save-snapshot doctor.json.gz', 'a support bundle: every collected fact, no secrets'],
  ['$0 check --from-snapshot doctor.json.gz', 'judge a saved snapshot, no cluster needed'],
  ['$0 list --json', 'the check catalogue as JSON'],
  ['$0 explain runtime.python.file', 'what a check looks at, why it matters, how to fix it'],
];

const EPILOGUE = `Exit codes:
  0  clean: nothing at or above the --fail-on threshold, and every check judged
  1  findings at or above the threshold (with --fail-on new: findings the --baseline report did not have)
  2  usage or config error (bad flag, bad config file, unknown check, unreadable snapshot)
  3  could not run at all (the target could not be examined); reports are still written
  4  incomplete: no finding at the threshold, but some checks could not judge (error: forbidden, timed out …)

Environment: NO_COLOR, FORCE_COLOR, CI (plain output), KUBECONFIG.`;

function fail(msg: string, code: number): never {
  process.stderr.write(`runner-doctor: ${msg}\n`);
  process.exit(code);
}

const CHECK: Command = {
  name: 'check',
  describe: 'run the checks and report',
  options: {
    local: { type: 'boolean', describe: 'check the environment this process runs in (in-pod checks)' },
    namespace: {
      alias: 'n',
      type: 'string',
      describe: 'namespace of the runner (all namespaces when omitted)',
    },
    release: {
      type: 'string',
      describe: 'Helm release name: only pods with app.kubernetes.io/instance=<release>',
    },
    pod: { type: 'string', describe: 'examine this one pod (needs --namespace)' },
    kubeconfig: {
      type: 'string',
      describe: 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)',
    },
    context: { type: 'string', describe: 'kubeconfig context' },
    output: {
      alias: 'o',
      type: 'string',
      array: true,
      describe:
        'extra report: junit=PATH, json=PATH, text=PATH, markdown=PATH (a CI summary, e.g. $GITHUB_STEP_SUMMARY); PATH - is stdout',
    },
    'fail-on': {
      type: 'string',
      choices: ['warn', 'fail', 'new'],
      describe:
        'lowest status that makes the exit code 1 (default fail); new: only findings (warn or fail) that --baseline does not have',
    },
    baseline: {
      type: 'string',
      describe: 'an earlier JSON report (--output json=…): show new, resolved and unchanged findings in every format',
    },
    verbose: {
      alias: 'v',
      type: 'boolean',
      describe: 'show every target of every check, and every member of a cause',
    },
    only: {
      type: 'string',
      array: true,
      describe: 'run only these check ids, categories or tags (comma-separated or repeated; id prefixes with *)',
    },
    skip: { type: 'string', array: true, describe: 'do not run these check ids, categories or tags' },
    config: {
      alias: 'c',
      type: 'string',
      describe: 'YAML config file (selection, fail-on, timeout, waivers)',
    },
    timeout: {
      type: 'number',
      describe:
        'deadline for the whole run in seconds, from process start; in-flight API calls, execs and probes are cancelled and unfinished checks become errors (default 120)',
    },
    'check-timeout': { type: 'number', describe: 'timeout of one in-pod probe in seconds (default 30)' },
    concurrency: { type: 'number', describe: 'execs into runner pods at once (default 8)' },
    target: {
      type: 'string',
      array: true,
      describe: 'extra egress target: host[:port], https://host[:port], http://host[:port], name=…',
    },
    'egress-override': {
      type: 'string',
      array: true,
      describe:
        'connect to another address for a target: host=address[:port] (the name and certificate name stay; repeatable)',
    },
    ca: {
      type: 'string',
      array: true,
      describe: 'extra trusted CA bundle (PEM file or directory) for the egress TLS stage',
    },
    'identity-exchange': {
      type: 'boolean',
      describe:
        "exchange each runner pod's own projected token with its cloud (STS, Azure AD, the GKE metadata server) from inside the pod, as its SDK would (default true; off with --no-identity-exchange, and with --no-derived-targets unless given)",
    },
    'derived-targets': {
      type: 'boolean',
      describe:
        "test the endpoints derived from the runner's settings (default true; --no-derived-targets for only --target)",
    },
    'dns-server': {
      type: 'string',
      array: true,
      describe: 'ask this DNS server (ip[:port]) in the egress DNS stage instead of the system resolver',
    },
    'egress-timeout': { type: 'number', describe: 'per-stage egress timeout in seconds (default 3–4)' },
    'azure-workspace': {
      type: 'string',
      describe:
        "read the runner's recent errors from this Log Analytics workspace (its ID, a GUID): the logs checks; needs Log Analytics Reader",
    },
    'aws-log-group': {
      type: 'string',
      optionalValue: true,
      describe:
        "read the runner's recent errors from CloudWatch Logs: a log group, or an EKS cluster name for /aws/containerinsights/<cluster>/application (no value: from the kube context); needs logs:StartQuery and logs:GetQueryResults",
    },
    'aws-region': {
      type: 'string',
      describe: 'AWS region of the log group (default: AWS_REGION, else the kube context)',
    },
    since: {
      type: 'string',
      describe: 'how far back the logs checks read: 90m, 24h, 7d (default 24h)',
    },
    'azure-logs-endpoint': {
      type: 'string',
      describe: 'Log Analytics API base for sovereign clouds (default https://api.loganalytics.io/v1)',
    },
    'save-snapshot': {
      type: 'string',
      describe: 'write every collected fact to PATH (a support bundle without secrets; .gz to compress)',
    },
    'from-snapshot': {
      type: 'string',
      describe: 'judge a saved snapshot instead of a live target (no cluster needed)',
    },
    pushgateway: {
      type: 'string',
      describe:
        'push the run as Prometheus metrics to this Pushgateway URL (the group job=runner-doctor,namespace=… is replaced)',
    },
    'metrics-file': {
      type: 'string',
      describe: 'write the run as Prometheus metrics to PATH (.prom, for the node-exporter textfile collector)',
    },
    'summary-file': {
      type: 'string',
      describe: 'write the verdict and the first findings to PATH (a Job uses /dev/termination-log)',
    },
    root: {
      type: 'string',
      hidden: true,
      describe: 'path prefix for every file the local probe reads (fixture trees)',
    },
    'probe-shell': {
      type: 'string',
      hidden: true,
      describe: 'shell that runs the local probe (default /bin/sh)',
    },
  },
  conflicts: { local: ['namespace', 'pod', 'release'] },
  examples: EXAMPLES.slice(0, 7),
};

const MANIFEST: Command = {
  name: 'manifest',
  describe:
    'print the YAML that runs the doctor in the cluster: ServiceAccount, least-privilege Role/ClusterRole derived from the selected checks, bindings, and a Job',
  options: {
    namespace: {
      alias: 'n',
      type: 'string',
      required: true,
      describe: 'namespace of the runner (the Job runs there)',
    },
    release: { type: 'string', describe: 'Helm release name of the runner' },
    only: {
      type: 'string',
      array: true,
      describe: 'check ids, categories or tags the Job runs (the rules follow)',
    },
    skip: { type: 'string', array: true, describe: 'checks the Job skips (their rules are left out)' },
    name: {
      type: 'string',
      describe: 'name of the ServiceAccount, Role and Job (default runner-doctor)',
    },
    image: { type: 'string', describe: 'the doctor image (default runner-doctor:<version>)' },
    'image-pull-policy': {
      type: 'string',
      choices: ['Always', 'IfNotPresent', 'Never'],
      describe: 'default IfNotPresent',
    },
    'fail-on': { type: 'string', choices: ['warn', 'fail'], describe: 'threshold for the Job to fail (default fail)' },
    timeout: {
      type: 'number',
      describe: "the check's deadline in seconds (default 300; the Job's activeDeadlineSeconds adds 60)",
    },
    'rbac-only': { type: 'boolean', describe: 'only the ServiceAccount, roles and bindings' },
    arg: {
      type: 'string',
      array: true,
      describe: 'extra argument for `check` in the Job, as --arg=--flag',
    },
    'sa-annotation': {
      type: 'string',
      array: true,
      describe:
        'KEY=VALUE annotation on the ServiceAccount, e.g. eks.amazonaws.com/role-arn=… for the cloud-logs checks',
    },
    'pod-label': {
      type: 'string',
      array: true,
      describe: 'KEY=VALUE label on the Job pod, e.g. azure.workload.identity/use=true',
    },
  },
};

const PROGRAM: Program = {
  name: 'runner-doctor',
  usage:
    'runner-doctor <command> [options]\n\nValidates and diagnoses data-platform runners on Kubernetes, check by check, with the fix for each finding.',
  commands: [
    CHECK,
    MANIFEST,
    { name: 'list', describe: 'list the checks', options: { json: { type: 'boolean', describe: 'as JSON' } } },
    {
      name: 'explain',
      describe: 'explain a check: what it looks at, why, how to fix',
      positional: {
        name: 'id',
        describe: 'a check id (runner-doctor list shows them)',
        missing:
          'explain needs a check id, e.g. runner-doctor explain runtime.python.file (runner-doctor list shows them)',
      },
      options: {},
    },
  ],
  examples: EXAMPLES,
  epilogue: EPILOGUE,
};

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, PROGRAM);
  } catch (e) {
    if (e instanceof UsageError) fail(`${e.message} (see runner-doctor --help)`, EXIT.usage);
    throw e;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`${toolVersion()}\n`);
    return EXIT.ok;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return EXIT.ok;
  }
  const { command, args } = parsed;
  if (command === 'check') {
    const { runCheckCommand } = await import('./check.ts');
    return runCheckCommand(args as CheckArgs);
  }
  if (command === 'manifest') {
    const { manifestCommand } = await import('./manifest.ts');
    return manifestCommand(args as unknown as ManifestArgs);
  }
  const catalog = await import('./catalog.ts');
  return command === 'list' ? catalog.listCommand(args.json === true) : catalog.explainCommand(String(args.id));
}

try {
  const code = await main(process.argv.slice(2));
  // Flush before exiting: stdout may be a pipe.
  if (process.stdout.writableLength > 0) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
  process.exit(code);
} catch (e) {
  if (e instanceof UsageError) fail(e.message, EXIT.usage);
  const msg = e instanceof Error ? e.message : String(e);
  fail(`internal error: ${msg.split('\n')[0]} (please report this with the command you ran)`, EXIT.couldNotRun);
}
