// The check registry: adding a check is one module plus one line here. Order within a category is report order.
import type { AnyCheck } from '../src/engine/types.ts';
import pythonPresent from './runtime/python.present.ts';
import pythonInline from './runtime/python.inline.ts';
import pythonFile from './runtime/python.file.ts';
import javaPresent from './runtime/java.present.ts';
import restrictedMode from './runtime/restricted-mode.ts';
import tmpWritable from './filesystem/tmp.writable.ts';
import tmpExec from './filesystem/tmp.exec.ts';
import tmpFree from './filesystem/tmp.free.ts';
import shmSize from './filesystem/shm.size.ts';
import workdirWritable from './filesystem/workdir.writable.ts';
import rootfsReadonly from './filesystem/rootfs.readonly.ts';
import memory from './resources/memory.ts';
import oomKills from './resources/oom-kills.ts';
import cpu from './resources/cpu.ts';
import pids from './resources/pids.ts';
import jvmHeap from './resources/jvm-heap.ts';
import overcommit from './resources/overcommit.ts';
import ulimits from './resources/ulimits.ts';
import nonRoot from './security/non-root.ts';
import noNewPrivileges from './security/no-new-privileges.ts';
import seccomp from './security/seccomp.ts';
import capabilities from './security/capabilities.ts';
import preload from './security/preload.ts';
import podSecurity from './security/pod-security.ts';
import agents from './security/agents.ts';
import envRequired from './environment/required.ts';
import envPlaceholders from './environment/placeholders.ts';
import envRegion from './environment/region.ts';
import envCloudProvider from './environment/cloud-provider.ts';
import envValues from './environment/values.ts';
import credAws from './credentials/aws.ts';
import credAzure from './credentials/azure.ts';
import credGcp from './credentials/gcp.ts';
import tokenExpiry from './credentials/token-expiry.ts';
import clusterVersion from './cluster/version.ts';
import clusterDns from './cluster/dns.ts';
import clusterFargate from './cluster/fargate.ts';
import runnerPods from './workload/runner-pods.ts';
import podHealth from './workload/pod-health.ts';
import scheduling from './workload/scheduling.ts';
import rollout from './workload/rollout.ts';
import imageDrift from './workload/image-drift.ts';
import gracePeriod from './workload/grace-period.ts';
import image from './workload/image.ts';
import placeholders from './workload/placeholders.ts';
import secrets from './workload/secrets.ts';
import resources from './workload/resources.ts';
import metrics from './workload/metrics.ts';
import workloadValues from './workload/values.ts';
import scriptRunner from './workload/script-runner.ts';
import serviceAccount from './identity/service-account.ts';
import identitySubject from './identity/subject.ts';
import identityExchange from './identity/exchange.ts';
import tokenExposure from './identity/token-exposure.ts';
import netpol from './network/policy.ts';
import policyEnforced from './network/policy-enforced.ts';
import metadataEndpoint from './network/metadata-endpoint.ts';
import metricsScrape from './network/metrics-scrape.ts';
import policySelectors from './network/policy-selectors.ts';
import egress from './network/egress.ts';
import egressPaths from './network/egress-paths.ts';
import scriptRunnerReach from './network/script-runner.ts';
import hpa from './scaling/hpa.ts';
import customMetrics from './scaling/custom-metrics.ts';
import headroom from './scaling/headroom.ts';
import logSignatures from './logs/signatures.ts';
import logErrors from './logs/errors.ts';
import logRestarts from './logs/restarts.ts';
import waivers from './config/waivers.ts';

const all = [
  pythonPresent,
  pythonInline,
  pythonFile,
  javaPresent,
  restrictedMode,
  tmpWritable,
  tmpExec,
  tmpFree,
  shmSize,
  workdirWritable,
  rootfsReadonly,
  memory,
  oomKills,
  cpu,
  pids,
  jvmHeap,
  overcommit,
  ulimits,
  nonRoot,
  noNewPrivileges,
  seccomp,
  capabilities,
  preload,
  podSecurity,
  agents,
  envRequired,
  envPlaceholders,
  envRegion,
  envCloudProvider,
  envValues,
  credAws,
  credAzure,
  credGcp,
  tokenExpiry,
  clusterVersion,
  clusterDns,
  clusterFargate,
  runnerPods,
  podHealth,
  scheduling,
  rollout,
  image,
  imageDrift,
  placeholders,
  secrets,
  resources,
  gracePeriod,
  metrics,
  workloadValues,
  scriptRunner,
  serviceAccount,
  identitySubject,
  identityExchange,
  tokenExposure,
  netpol,
  policyEnforced,
  metadataEndpoint,
  metricsScrape,
  policySelectors,
  egress,
  egressPaths,
  scriptRunnerReach,
  hpa,
  customMetrics,
  headroom,
  logSignatures,
  logErrors,
  logRestarts,
  waivers,
];

/** Every check, in report order within each category. */
export const CHECKS: readonly AnyCheck[] = all;
