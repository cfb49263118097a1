import image from '../../../checks/workload/image.ts';
import metrics from '../../../checks/workload/metrics.ts';
import placeholders from '../../../checks/workload/placeholders.ts';
import podHealth from '../../../checks/workload/pod-health.ts';
import resources from '../../../checks/workload/resources.ts';
import runnerPods from '../../../checks/workload/runner-pods.ts';
import secrets from '../../../checks/workload/secrets.ts';
import type { Container, Pod } from '../../../src/domain/kube.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import type { MetricsScrape } from '../../../src/engine/facts.ts';
import { table } from '../../helpers/check-table.ts';
import { event, everyRunnerContainer, firstPod, runnerStatus } from './fixtures-cluster.ts';
import { NOW, edit, healthyCluster, runnerPod, sample } from './fixtures.ts';

/** Fails the case unless the n-th result's message (or remediation) matches. */
const message =
  (re: RegExp, n = 0) =>
  (rs: CheckResult[]) => {
    if (!re.test(rs[n]?.message ?? '')) throw new Error(`message ${n}: ${rs[n]?.message}`);
  };
const remedy =
  (re: RegExp, n = 0) =>
  (rs: CheckResult[]) => {
    const r = rs[n]?.remediation;
    if (!re.test(`${r?.text ?? ''} ${r?.command ?? ''}`)) throw new Error(`remediation ${n}: ${JSON.stringify(r)}`);
  };
const all =
  (...fs: ((rs: CheckResult[]) => void)[]) =>
  (rs: CheckResult[]) => {
    for (const f of fs) f(rs);
  };

// --- workload.runner-pods -------------------------------------------------------------------------

const pendingPods = edit(healthyCluster(), (f) => {
  const p = runnerPod('matillion-runner-app-7d9f-ccccc');
  if (p.spec) delete p.spec.nodeName;
  p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] };
  f.runnerPods = [p];
  f.runnerEvents = [
    event('matillion-runner-app-7d9f-ccccc', {
      type: 'Normal',
      reason: 'Scheduled',
      message: 'ignored: not a warning',
    }),
    event('matillion-runner-app-7d9f-ccccc', { last: '2026-12-01T11:50:00Z', message: 'an older attempt' }),
    event('matillion-runner-app-7d9f-ccccc'),
    event('matillion-runner-app-7d9f-ccccc', { kind: 'ReplicaSet', message: 'about the ReplicaSet, not the pod' }),
  ];
});

/** No pods at all: the ReplicaSet exists and the API server refused what it tried to create. */
const refused = (message: string, via: 'event' | 'condition' = 'event') =>
  edit(healthyCluster(), (f) => {
    f.runnerPods = [];
    f.runnerReplicaSets = [
      {
        metadata: { name: 'matillion-runner-app-7d9f', namespace: 'matillion' },
        status: {
          replicas: 0,
          ...(via === 'condition'
            ? { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message }] }
            : {}),
        },
      },
    ];
    f.runnerEvents =
      via === 'event'
        ? [
            event('matillion-runner-app-7d9f', {
              kind: 'ReplicaSet',
              reason: 'FailedCreate',
              message: `Error creating: ${message}`,
            }),
          ]
        : [];
  });
const RESTRICTED =
  'pods "matillion-runner-app-7d9f-x2x9z" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "matillion-runner-pods" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "matillion-runner-pods" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "matillion-runner-pods" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "matillion-runner-pods" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

const runnerPodsTable = table(runnerPods, {
  valid: [
    {
      name: 'two Running pods',
      facts: healthyCluster(),
      codes: ['running'],
      expect: message(/^2 of 2 runner pod\(s\) Running in matillion$/),
    },
    {
      name: 'one of two Running is enough',
      facts: firstPod((p) => {
        p.status = { phase: 'Pending' };
      }),
      codes: ['running'],
      expect: message(/^1 of 2 runner pod/),
    },
  ],
  invalid: [
    {
      name: 'no runner pods in the namespace',
      facts: edit(healthyCluster(), (f) => {
        f.runnerPods = [];
      }),
      codes: ['none-found'],
      expect: all(
        message(
          /^no runner pods found in namespace matillion \(selector app\.kubernetes\.io\/name=matillion-runner\)$/,
        ),
        remedy(/helm list -A/),
      ),
    },
    {
      name: 'no runner pods anywhere, with the release in the selector',
      facts: edit(healthyCluster(), (f) => {
        f.runnerPods = [];
        f.kubeScope = {
          release: 'prod',
          selector: 'app.kubernetes.io/name=matillion-runner,app.kubernetes.io/instance=prod',
        };
      }),
      codes: ['none-found'],
      expect: message(
        /in any namespace \(selector app\.kubernetes\.io\/name=matillion-runner,app\.kubernetes\.io\/instance=prod\)/,
      ),
    },
    {
      name: "no pods at all: restricted Pod Security refuses the chart's empty securityContext, naming the fields to set",
      facts: refused(RESTRICTED),
      codes: ['rejected-pod-security'],
      expect: all(
        message(
          /^no runner pods: Pod Security \(restricted:latest\) rejects them, so ReplicaSet matillion\/matillion-runner-app-7d9f creates none — allowPrivilegeEscalation != false; unrestricted capabilities; runAsNonRoot != true; seccompProfile$/,
        ),
        remedy(
          /allowPrivilegeEscalation=false; capabilities\.drop=\["ALL"\]; runAsNonRoot=true; seccompProfile\.type to "RuntimeDefault".*post-renderer or a kustomize patch/,
        ),
      ),
    },
    {
      name: 'no pods at all: the keepalive sysctl refused by a Pod Security pin before 1.29 (from the ReplicaSet condition)',
      facts: refused(
        'pods "x" is forbidden: violates PodSecurity "baseline:v1.28": forbidden sysctls (net.ipv4.tcp_keepalive_time)',
        'condition',
      ),
      codes: ['rejected-sysctl'],
      expect: all(
        message(/the sysctl net\.ipv4\.tcp_keepalive_time the chart sets is refused/),
        remedy(/safe sysctl only from Kubernetes 1\.29/),
      ),
    },
    {
      name: 'no pods at all: a quota',
      facts: refused(
        'pods "x" is forbidden: exceeded quota: compute, requested: requests.memory=4Gi, used: requests.memory=8Gi, limited: requests.memory=10Gi',
      ),
      codes: ['rejected-quota'],
      expect: message(/requested: requests\.memory=4Gi/),
    },
    {
      name: 'no pods at all: the ServiceAccount is missing',
      facts: refused(
        'pods "x" is forbidden: error looking up service account matillion/matillion-runner-sa: serviceaccount "matillion-runner-sa" not found',
      ),
      codes: ['missing-service-account'],
    },
    {
      name: "no pods at all: any other refusal, in the API server's words",
      facts: refused('admission webhook "validate.kyverno.svc" denied the request: images must be signed'),
      codes: ['not-created'],
      expect: message(/images must be signed/),
    },
    {
      name: "none Running: the scheduler's latest warning about each pod",
      facts: pendingPods,
      codes: ['none-running'],
      expect: all(
        message(
          /^none of the 1 runner pod\(s\) is Running: matillion\/matillion-runner-app-7d9f-ccccc is Pending — FailedScheduling: 0\/2 nodes are available: .*node affinity\/selector\.$/,
        ),
        remedy(/kubectl describe pod -n matillion matillion-runner-app-7d9f-ccccc/),
      ),
    },
    {
      name: 'none Running: waiting reasons, no events',
      facts: edit(healthyCluster(), (f) => {
        for (const p of f.runnerPods ?? []) {
          p.status = {
            phase: 'Pending',
            containerStatuses: [
              {
                name: 'matillion-runner-pods',
                image: '',
                imageID: '',
                ready: false,
                restartCount: 0,
                state: { waiting: { reason: 'ErrImagePull' } },
              },
            ],
          };
        }
      }),
      codes: ['none-running'],
      expect: message(
        /is Pending \(ErrImagePull\); matillion\/matillion-runner-app-7d9f-bbbbb is Pending \(ErrImagePull\)$/,
      ),
    },
  ],
});

// --- workload.pod-health --------------------------------------------------------------------------

const LOGS_PREVIOUS = /kubectl logs -n matillion matillion-runner-app-7d9f-aaaaa --previous/;

/** The five pods of the old unit test: crash loop after OOM, OOM, image pull, restarts, fine. */
const mixedPods = edit(healthyCluster(), (f) => {
  const pod = (name: string, change: (p: Pod) => void) => edit(runnerPod(`matillion-runner-app-7d9f-${name}`), change);
  f.runnerPods = [
    pod('crash', (p) => {
      const s = runnerStatus(p);
      Object.assign(s, {
        ready: false,
        restartCount: 9,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
      });
    }),
    pod('oom', (p) => {
      Object.assign(runnerStatus(p), {
        restartCount: 2,
        lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
      });
    }),
    pod('pull', (p) => {
      if (p.status) p.status.phase = 'Pending';
      Object.assign(runnerStatus(p), {
        ready: false,
        state: {
          waiting: {
            reason: 'ImagePullBackOff',
            message: 'Back-off pulling image "public.ecr.aws/matillion/etl-agent:stable"',
          },
        },
      });
    }),
    pod('restarts', (p) => {
      runnerStatus(p).restartCount = 7;
    }),
    pod('fine', () => {}),
  ];
});

/**
 * The first runner pod running again `runningForMs` after its second restart (the last exit `exitCode`,
 * Error), with a BackOff event for it: a crash loop or a recovery, depending on how long ago.
 */
function restartedAfterBackOff(o: { ready: boolean; runningForMs: number; exitCode: number }) {
  return edit(
    firstPod((p) => {
      Object.assign(runnerStatus(p), {
        ready: o.ready,
        restartCount: 2,
        state: { running: { startedAt: new Date(NOW - o.runningForMs).toISOString() } },
        lastState: { terminated: { reason: 'Error', exitCode: o.exitCode } },
      });
    }),
    (f) => {
      f.runnerEvents = [
        event('matillion-runner-app-7d9f-aaaaa', {
          reason: 'BackOff',
          message: 'Back-off restarting failed container matillion-runner-pods in pod matillion-runner-app-7d9f-aaaaa',
        }),
      ];
    },
  );
}

const podHealthTable = table(podHealth, {
  valid: [
    {
      name: 'recovered: running and Ready for an hour after two restarts, an old BackOff event: restarts only, no crash loop',
      facts: restartedAfterBackOff({ ready: true, runningForMs: 3_600_000, exitCode: 3 }),
      codes: ['healthy', 'healthy'],
    },
    {
      name: 'both pods Running and Ready, the Deployment fully available',
      facts: healthyCluster(),
      codes: ['healthy', 'healthy'],
      expect: message(/^Running and Ready, 0 restarts$/),
    },
    {
      name: 'five restarts are not yet a finding',
      facts: firstPod((p) => {
        runnerStatus(p).restartCount = 5;
      }),
      codes: ['healthy', 'healthy'],
    },
    {
      name: 'no runner pods (run without workload.runner-pods)',
      facts: edit(healthyCluster(), (f) => {
        f.runnerPods = [];
      }),
      codes: ['no-pods'],
    },
  ],
  invalid: [
    {
      name: 'crash loops, OOM kills, image pulls and restarts told apart',
      facts: mixedPods,
      codes: ['crash-loop-oom', 'oom-killed', 'image-pull', 'restarts', 'healthy'],
      expect: (rs) => {
        const by = Object.fromEntries(rs.map((r) => [r.target.split('-').at(-1), r]));
        const want: Record<string, string> = {
          crash:
            'crash loop: container matillion-runner-pods is killed for memory (OOMKilled at its 4Gi limit) and has been restarted 9 times',
          oom: 'last container exit was OOMKilled at its 4Gi memory limit (2 restarts)',
          pull: 'ImagePullBackOff for public.ecr.aws/matillion/etl-agent:stable: Back-off pulling image "public.ecr.aws/matillion/etl-agent:stable"',
          restarts: '7 restarts',
          fine: 'Running and Ready, 0 restarts',
        };
        for (const [k, m] of Object.entries(want)) if (by[k]?.message !== m) throw new Error(`${k}: ${by[k]?.message}`);
        if (!/public\.ecr\.aws, api\.ecr-public\.us-east-1\.amazonaws\.com/.test(by.pull?.remediation?.text ?? ''))
          throw new Error(by.pull?.remediation?.text);
        if (!/larger runnerSize/.test(by.crash?.remediation?.text ?? '')) throw new Error(by.crash?.remediation?.text);
        if (
          !/kubectl logs -n matillion matillion-runner-app-7d9f-restarts --previous/.test(
            by.restarts?.remediation?.command ?? '',
          )
        )
          throw new Error(by.restarts?.remediation?.command);
      },
    },
    {
      name: 'a crash loop without OOM: read the previous container',
      facts: firstPod((p) => {
        Object.assign(runnerStatus(p), {
          ready: false,
          restartCount: 4,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
        });
      }),
      codes: ['crash-loop', 'healthy'],
      expect: all(
        message(/^crash loop: container matillion-runner-pods exited with code unknown and has been restarted 4 times/),
        remedy(LOGS_PREVIOUS),
      ),
    },
    {
      name: 'a crash loop as a 1.36 kubelet publishes it between restarts: terminated Error, a growing restart count',
      facts: firstPod((p) => {
        Object.assign(runnerStatus(p), {
          ready: false,
          restartCount: 3,
          state: { terminated: { reason: 'Error', exitCode: 1 } },
          lastState: { terminated: { reason: 'Error', exitCode: 1 } },
        });
      }),
      codes: ['crash-loop', 'healthy'],
      expect: all(
        message(
          /^crash loop: container matillion-runner-pods exited with code 1 \(Error\) and has been restarted 3 times/,
        ),
        remedy(LOGS_PREVIOUS),
      ),
    },
    {
      name: 'a crash loop seen while the container is briefly running again: non-zero last exit and BackOff events',
      facts: restartedAfterBackOff({ ready: false, runningForMs: 0, exitCode: 2 }),
      codes: ['crash-loop', 'healthy'],
    },
    {
      name: 'a crash loop seen seconds after a restart, Ready already (no readiness probe): still a crash loop',
      facts: restartedAfterBackOff({ ready: true, runningForMs: 3_000, exitCode: 3 }),
      codes: ['crash-loop', 'healthy'],
      expect: message(/exited with code 3 \(Error\) and has been restarted 2 times/),
    },
    {
      name: 'OOMKilled with exit code 0 (a child killed, PID 1 exited cleanly) is still OOMKilled',
      facts: firstPod((p) => {
        Object.assign(runnerStatus(p), {
          restartCount: 1,
          lastState: { terminated: { reason: 'OOMKilled', exitCode: 0 } },
        });
      }),
      codes: ['oom-killed', 'healthy'],
    },
    {
      name: 'an image pull from an unknown registry, without a message',
      facts: firstPod((p) => {
        const c = p.spec?.containers[0];
        if (c) c.image = 'registry.example.com/runner:stable';
        Object.assign(runnerStatus(p), { ready: false, state: { waiting: { reason: 'ErrImagePull' } } });
      }),
      codes: ['image-pull', 'healthy'],
      expect: all(message(/^ErrImagePull for registry\.example\.com\/runner:stable$/), remedy(/the tag must exist/)),
    },
    {
      name: "Pending with the scheduler's reason",
      facts: edit(
        firstPod((p) => {
          p.status = { phase: 'Pending' };
          if (p.spec) delete p.spec.nodeName;
        }),
        (f) => {
          f.runnerEvents = [
            event('matillion-runner-app-7d9f-aaaaa', { message: '0/2 nodes are available: 2 Insufficient memory.' }),
          ];
        },
      ),
      codes: ['pending', 'healthy'],
      expect: message(/^Pending: 0\/2 nodes are available: 2 Insufficient memory\.$/),
    },
    {
      name: 'Pending before the scheduler said anything',
      facts: firstPod((p) => {
        p.status = { phase: 'Pending' };
        if (p.spec) delete p.spec.nodeName;
      }),
      codes: ['pending-no-event', 'healthy'],
    },
    {
      name: 'Pending on a node: a Secret key the env reads is missing (CreateContainerConfigError), not a scheduling problem',
      facts: firstPod((p) => {
        if (p.status) p.status.phase = 'Pending';
        Object.assign(runnerStatus(p), {
          ready: false,
          state: {
            waiting: {
              reason: 'CreateContainerConfigError',
              message: "couldn't find key client-secret in Secret matillion/oauth",
            },
          },
        });
      }),
      codes: ['container-waiting', 'healthy'],
      expect: all(
        message(
          /^scheduled on \S+ but container matillion-runner-pods is CreateContainerConfigError: couldn't find key client-secret in Secret matillion\/oauth$/,
        ),
        remedy(/Secret or ConfigMap .* is missing/),
      ),
    },
    {
      name: 'Pending on a node with a stale FailedScheduling event and a volume that cannot mount: the mount is the cause',
      facts: edit(
        firstPod((p) => {
          if (p.status) p.status.phase = 'Pending';
          Object.assign(runnerStatus(p), { ready: false, state: { waiting: { reason: 'ContainerCreating' } } });
        }),
        (f) => {
          f.runnerEvents = [
            event('matillion-runner-app-7d9f-aaaaa', {
              message: '0/2 nodes are available: 2 Insufficient memory.',
              last: new Date(NOW - 600_000).toISOString(),
            }),
            event('matillion-runner-app-7d9f-aaaaa', {
              reason: 'FailedMount',
              message:
                'MountVolume.SetUp failed for volume "config-volume" : configmap "matillion-runner-config" not found',
            }),
          ];
        },
      ),
      codes: ['container-waiting', 'healthy'],
      expect: all(
        message(/is ContainerCreating: MountVolume\.SetUp failed for volume "config-volume"/),
        remedy(/FailedMount/),
      ),
    },
    {
      name: 'a crash loop whose container exits 0 each time (Completed) is still a crash loop, with that exit code',
      facts: firstPod((p) => {
        Object.assign(runnerStatus(p), {
          ready: false,
          restartCount: 3,
          state: { terminated: { reason: 'Completed', exitCode: 0 } },
          lastState: { terminated: { reason: 'Completed', exitCode: 0 } },
        });
      }),
      codes: ['crash-loop', 'healthy'],
      expect: message(/exited with code 0 \(Completed\) and has been restarted 3 times/),
    },
    {
      name: "an injected sidecar that cannot pull: the message names its image and registry, not the runner's",
      facts: firstPod((p) => {
        p.spec?.containers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24.0' });
        p.status?.containerStatuses?.push({
          name: 'istio-proxy',
          image: 'docker.io/istio/proxyv2:1.24.0',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ImagePullBackOff' } },
        });
      }),
      codes: ['image-pull', 'healthy'],
      expect: message(/^ImagePullBackOff for docker\.io\/istio\/proxyv2:1\.24\.0$/),
    },
    {
      name: "rejected by the kubelet for the chart's sysctl (SysctlForbidden): the reason and the fix",
      facts: firstPod((p) => {
        p.status = {
          phase: 'Failed',
          reason: 'SysctlForbidden',
          message: 'Pod forbidden sysctl: "net.ipv4.tcp_keepalive_time" not allowlisted',
        };
      }),
      codes: ['rejected-by-kubelet', 'healthy'],
      expect: all(message(/\(SysctlForbidden\): Pod forbidden sysctl/), remedy(/--allowed-unsafe-sysctls/)),
    },
    {
      name: 'Running but not Ready',
      facts: firstPod((p) => {
        if (p.status) p.status.conditions = [{ type: 'Ready', status: 'False' }];
      }),
      codes: ['not-ready', 'healthy'],
    },
    {
      name: 'a pod that ended',
      facts: firstPod((p) => {
        if (p.status) p.status.phase = 'Failed';
      }),
      codes: ['not-running', 'healthy'],
      expect: message(/^phase Failed$/),
    },
    {
      name: 'an evicted pod says why',
      facts: firstPod((p) => {
        p.status = { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' };
      }),
      codes: ['not-running', 'healthy'],
      expect: message(/^phase Failed \(Evicted: The node was low on resource: memory\.\)$/),
    },
    {
      name: 'the Deployment has fewer available replicas than desired',
      facts: edit(healthyCluster(), (f) => {
        const d = f.runnerDeployments?.[0];
        if (d?.status) d.status.availableReplicas = 1;
      }),
      codes: ['healthy', 'healthy', 'replicas-unavailable'],
      expect: (rs) => {
        if (
          rs[2]?.message !== 'Deployment has 1 of 2 replicas available' ||
          rs[2].target !== 'matillion/matillion-runner-app'
        )
          throw new Error(JSON.stringify(rs[2]));
      },
    },
  ],
});

// --- workload.image -------------------------------------------------------------------------------

const withImage = (image: string, pullPolicy?: string) =>
  everyRunnerContainer((c) => {
    c.image = image;
    c.imagePullPolicy = pullPolicy;
  });

const imageTable = table(image, {
  valid: [
    {
      name: 'the stable track from the vendor repository, pulled Always',
      facts: healthyCluster(),
      codes: ['supported', 'supported'],
      expect: message(/^public\.ecr\.aws\/matillion\/etl-agent:stable, pull policy Always$/),
    },
    {
      name: 'a digest pin that matches what runs',
      facts: withImage('public.ecr.aws/matillion/etl-agent@sha256:aaaa', 'IfNotPresent'),
      codes: ['supported', 'supported'],
      expect: message(/\(digest pin\), pull policy IfNotPresent$/),
    },
    {
      name: 'a mirror of the vendor image',
      facts: withImage('mirror.corp.example/matillion/etl-agent:current'),
      codes: ['mirror', 'mirror'],
    },
    {
      name: 'no runner image to look at',
      facts: everyRunnerContainer((c) => {
        c.image = undefined;
      }),
      codes: ['no-image'],
    },
  ],
  invalid: [
    {
      name: 'a version tag outside the support window',
      facts: withImage('public.ecr.aws/matillion/etl-agent:1.2.3', 'Always'),
      codes: ['unsupported-tag', 'unsupported-tag'],
      expect: message(/^image tag "1\.2\.3" is not a supported track \(stable or current\)$/),
    },
    {
      name: 'no tag at all (latest)',
      facts: withImage('public.ecr.aws/matillion/etl-agent'),
      codes: ['unsupported-tag', 'unsupported-tag'],
      expect: message(/"\(none: latest\)"/),
    },
    {
      name: 'a moving tag with IfNotPresent: replicas drift',
      facts: withImage('public.ecr.aws/matillion/etl-agent:current', 'IfNotPresent'),
      codes: ['pull-policy', 'pull-policy'],
      expect: message(/^moving tag current with imagePullPolicy IfNotPresent: nodes keep running an old image$/),
    },
    {
      name: 'the pinned digest is not what runs',
      facts: withImage(
        'public.ecr.aws/matillion/etl-agent@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      ),
      codes: ['digest-mismatch', 'digest-mismatch'],
      expect: message(/^spec pins sha256:bbbbbbbbbbbb… but the container runs sha256:aaaa…$/),
    },
  ],
});

// --- workload.placeholders ------------------------------------------------------------------------

const placeholdersTable = table(placeholders, {
  valid: [
    {
      name: 'the chart rendered with every value set',
      facts: healthyCluster(),
      codes: ['none'],
      expect: message(/^no placeholders in 2 runner pod spec\(s\) and their ServiceAccount$/),
    },
  ],
  invalid: [
    {
      name: 'the IRSA role ARN left as the placeholder',
      facts: edit(healthyCluster(), (f) => {
        const sa = f.serviceAccounts?.[0];
        if (sa?.metadata) sa.metadata.annotations = { 'eks.amazonaws.com/role-arn': '<ServiceAccountRoleArn>' };
      }),
      codes: ['unfilled'],
      expect: all(
        message(
          /^unfilled placeholders: ServiceAccount matillion-runner-sa annotation eks\.amazonaws\.com\/role-arn = <ServiceAccountRoleArn>$/,
        ),
        remedy(/^set the Helm values <ServiceAccountRoleArn> and run helm upgrade/),
      ),
    },
    {
      name: 'placeholders in env, a secret-named one masked',
      facts: everyRunnerContainer((c) => {
        c.env = [
          ...(c.env ?? []),
          { name: 'MATILLION_REGION', value: '<MatillionRegion>' },
          { name: 'OAUTH_CLIENT_SECRET', value: '<AgentClientSecret>' },
        ];
      }),
      codes: ['unfilled'],
      expect: all(
        message(/env MATILLION_REGION = <MatillionRegion>; env OAUTH_CLIENT_SECRET = <…>$/),
        remedy(/^set the Helm values <MatillionRegion> and run/),
      ),
    },
    {
      name: 'only a masked placeholder: no value to name',
      facts: everyRunnerContainer((c) => {
        c.env = [{ name: 'AZURE_CLIENT_SECRET', value: '<AzureClientSecret>' }];
      }),
      codes: ['unfilled'],
      expect: remedy(/set the Helm values these placeholders stand for and run helm upgrade/),
    },
    {
      name: 'a placeholder in the image and a pod annotation',
      facts: everyRunnerContainer(
        (c) => {
          c.image = 'public.ecr.aws/matillion/etl-agent:<ImageTag>';
        },
        firstPod((p) => {
          if (p.metadata) p.metadata.annotations = { ...p.metadata.annotations, 'prometheus.io/port': '<MetricsPort>' };
        }),
      ),
      codes: ['unfilled'],
      expect: message(/image = <ImageTag>; pod annotation prometheus\.io\/port = <MetricsPort>$/),
    },
  ],
});

// --- workload.secrets -----------------------------------------------------------------------------

const secretsTable = table(secrets, {
  valid: [{ name: 'the config Secret exists with both OAuth keys', facts: healthyCluster(), codes: ['resolved'] }],
  invalid: [
    {
      name: 'the config Secret is missing a key',
      facts: edit(healthyCluster(), (f) => {
        f.secretKeys = [{ namespace: 'matillion', name: 'matillion-runner-config', keys: ['OAUTH_CLIENT_ID'] }];
      }),
      codes: ['missing'],
      expect: (rs) => {
        if (!rs[0]?.message.includes('lacks key(s) OAUTH_CLIENT_SECRET')) throw new Error(rs[0]?.message);
      },
    },
    {
      name: 'a referenced Secret does not exist',
      facts: edit(healthyCluster(), (f) => {
        f.secretKeys = [];
      }),
      codes: ['missing'],
    },
  ],
});

// --- workload.resources ---------------------------------------------------------------------------

type Resources = NonNullable<Container['resources']>;
const sized = (resources: Resources, env: { name: string; value: string }[] = []) =>
  everyRunnerContainer((c) => {
    c.resources = resources;
    c.env = [...(c.env ?? []), ...env];
  });
const SMALL: Resources = {
  requests: { cpu: '1', memory: '4Gi', 'ephemeral-storage': '50Gi' },
  limits: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '50Gi' },
};

const resourcesTable = table(resources, {
  valid: [
    {
      name: "the chart's small size",
      facts: healthyCluster(),
      codes: ['runner-size'],
      expect: message(/^runnerSize small: requests 1 CPU\/4Gi, limits 2 CPU\/4Gi$/),
    },
    {
      name: 'small requests with other limits',
      facts: sized({ ...SMALL, limits: { cpu: '4', memory: '4Gi' } }),
      codes: ['limits-differ'],
      expect: message(/limits differ \(.*; the chart sets 2 CPU\/4\.0 GiB\)$/),
    },
    {
      name: 'a size that is not in the table',
      facts: sized({
        requests: { cpu: '3', memory: '12Gi', 'ephemeral-storage': '50Gi' },
        limits: { cpu: '6', memory: '12Gi' },
      }),
      codes: ['custom-size'],
    },
    {
      name: 'no CPU limit only',
      facts: sized({ requests: SMALL.requests, limits: { memory: '4Gi' } }),
      codes: ['no-cpu-limit'],
    },
    {
      name: 'AWS without the ephemeral-storage request',
      facts: sized({ requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } }),
      codes: ['no-ephemeral-request'],
      expect: message(/ask 50\.0 GiB for small; EKS Fargate/),
    },
    {
      name: 'a heap share the runner can live with',
      facts: sized(SMALL, [{ name: 'JAVA_OPTS', value: '-Xmx3g -XX:MaxRAMPercentage=75' }]),
      codes: ['runner-size'],
    },
    {
      name: 'no runner Deployment',
      facts: edit(healthyCluster(), (f) => {
        f.runnerDeployments = [];
      }),
      codes: ['no-deployment'],
    },
  ],
  invalid: [
    {
      name: 'requests only: no memory limit',
      facts: sized({ requests: { cpu: '1', memory: '4Gi' } }),
      codes: ['no-memory-limit', 'no-cpu-limit', 'no-ephemeral-request'],
      expect: all(
        message(/^no memory limit \(requests 1 CPU\/4Gi, limits - CPU\/-\)/),
        remedy(/runnerSize \(small, medium, large, xlarge\)/),
      ),
    },
    {
      name: '-Xmx at the memory limit',
      facts: sized(SMALL, [{ name: 'JAVA_OPTS', value: '-Xms1g -Xmx4g' }]),
      codes: ['xmx-over-limit'],
      expect: message(/^JVM -Xmx 4\.0 GiB ≥ memory limit 4\.0 GiB: the runner is OOM-killed before the heap is full$/),
    },
    {
      name: '-Xmx close to the limit (the last one wins)',
      facts: sized(SMALL, [
        { name: 'JAVA_TOOL_OPTIONS', value: '-Xmx1g' },
        { name: 'JAVA_OPTS', value: '-Xmx3584m' },
      ]),
      codes: ['xmx-high'],
      expect: message(/^JVM -Xmx 3\.5 GiB is 88 % of the memory limit/),
    },
    {
      name: 'MaxRAMPercentage above 85',
      facts: sized(SMALL, [{ name: 'JDK_JAVA_OPTIONS', value: '-XX:MaxRAMPercentage=90' }]),
      codes: ['ram-percent-high'],
      expect: message(/^-XX:MaxRAMPercentage=90: /),
    },
    {
      name: 'memory request below the limit and below the smallest size',
      facts: sized({ requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } }),
      codes: ['request-below-limit', 'below-smallest'],
      expect: all(
        message(/^memory request 2\.0 GiB < limit 4\.0 GiB/),
        message(/^memory request 2\.0 GiB is below the smallest runner size \(small: 4 GiB\)$/, 1),
      ),
    },
    {
      name: 'no CPU request',
      facts: sized({ requests: { memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } }),
      codes: ['no-request'],
      expect: message(/^no CPU request \(/),
    },
    {
      name: 'no requests at all',
      facts: sized({ limits: { cpu: '2', memory: '4Gi' } }),
      codes: ['no-request'],
      expect: message(/^no memory request \(/),
    },
  ],
});

// --- workload.metrics -----------------------------------------------------------------------------

const scrapes = (f: (s: MetricsScrape[]) => void) =>
  edit(healthyCluster(), (x) => {
    if (x.runnerMetrics) f(x.runnerMetrics);
  });
const runnerSeries = (o: { status?: number; tasks?: number; version?: string } = {}) => [
  sample('app_version_info', 1, { version: o.version ?? '2026.11.3' }),
  sample('app_agent_status', o.status ?? 1),
  sample('app_active_task_count', o.tasks ?? 3),
];

const metricsTable = table(metrics, {
  valid: [
    {
      name: 'both agents running, 3 tasks each, one version',
      facts: healthyCluster(),
      codes: ['running', 'running'],
      expect: message(/^agent running, 3\/20 active tasks, version 2026\.11\.3$/),
    },
    {
      name: 'no task count or version exposed yet',
      facts: scrapes((s) => {
        for (const x of s) x.samples = [sample('app_agent_status', 1)];
      }),
      codes: ['running', 'running'],
      expect: message(/^agent running, \?\/20 active tasks$/),
    },
    { name: 'no Running pod to scrape', facts: scrapes((s) => s.splice(0)), codes: ['no-pods'] },
  ],
  invalid: [
    {
      name: 'agent stopped, a full pod, two versions',
      facts: scrapes(([a, b]) => {
        if (a) a.samples = runnerSeries({ status: 0 });
        if (b) b.samples = runnerSeries({ tasks: 20, version: '2026.10.1' });
      }),
      codes: ['agent-stopped', 'pod-full', 'mixed-versions'],
      expect: all(
        message(/^app_agent_status is 0: the agent is stopped/),
        remedy(/kubectl logs -n matillion matillion-runner-app-7d9f-aaaaa --tail=200/),
        message(/20\/20 active tasks: this pod is full/, 1),
        message(
          /^runner pods report different versions: 2026\.11\.3 on matillion\/matillion-runner-app-7d9f-aaaaa; 2026\.10\.1 on matillion\/matillion-runner-app-7d9f-bbbbb$/,
          2,
        ),
        remedy(/kubectl rollout status deployment -n matillion -l app\.kubernetes\.io\/name=matillion-runner/, 2),
        (rs) => {
          if (rs[2]?.target !== 'matillion') throw new Error(rs[2]?.target);
        },
      ),
    },
    {
      name: 'the pod proxy answered an error, or could not connect',
      facts: scrapes(([a, b]) => {
        if (a) a.error = { status: 503, message: 'no endpoints available for service' };
        if (b) b.error = { message: 'dial tcp 10.88.0.11:8080: connect: connection refused' };
        for (const s of [a, b]) if (s) delete s.samples;
      }),
      codes: ['unreachable', 'unreachable'],
      expect: all(
        message(
          /^http:\/\/10\.88\.0\.10:8080\/actuator\/prometheus not reachable through the API server's pod proxy \(HTTP 503: no endpoints available for service\)$/,
        ),
        message(/\(dial tcp 10\.88\.0\.11:8080: connect: connection refused\)$/, 1),
      ),
    },
    {
      name: 'hostile output: no runner series, malformed lines',
      facts: scrapes(([a]) => {
        if (a)
          Object.assign(a, {
            samples: [],
            sampleCount: 0,
            malformed: ['line 1: no metric name', 'line 2: expected a value (and an optional timestamp)'],
          });
      }),
      codes: ['not-runner-metrics', 'running'],
      expect: message(
        /^no app_agent_status among 0 samples \(2 malformed lines, first: line 1: no metric name\): this is not the runner's metrics endpoint$/,
      ),
    },
    {
      name: 'some other exporter on the port',
      facts: scrapes(([a]) => {
        if (a) Object.assign(a, { samples: [], sampleCount: 812, malformed: [] });
      }),
      codes: ['not-runner-metrics', 'running'],
      expect: message(/^no app_agent_status among 812 samples: /),
    },
  ],
});

export const tables = [
  runnerPodsTable,
  podHealthTable,
  imageTable,
  placeholdersTable,
  secretsTable,
  resourcesTable,
  metricsTable,
];
