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
import credAws from './credentials/aws.ts';
import credAzure from './credentials/azure.ts';
import credGcp from './credentials/gcp.ts';
import tokenExpiry from './credentials/token-expiry.ts';
import clusterVersion from './cluster/version.ts';
import runnerPods from './workload/runner-pods.ts';
import podHealth from './workload/pod-health.ts';
import image from './workload/image.ts';
import placeholders from './workload/placeholders.ts';
import secrets from './workload/secrets.ts';
import resources from './workload/resources.ts';
import metrics from './workload/metrics.ts';
import serviceAccount from './identity/service-account.ts';
import netpol from './network/policy.ts';
import egress from './network/egress.ts';
import egressPaths from './network/egress-paths.ts';
import hpa from './scaling/hpa.ts';
import headroom from './scaling/headroom.ts';
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
  credAws,
  credAzure,
  credGcp,
  tokenExpiry,
  clusterVersion,
  runnerPods,
  podHealth,
  image,
  placeholders,
  secrets,
  resources,
  metrics,
  serviceAccount,
  netpol,
  egress,
  egressPaths,
  hpa,
  headroom,
  waivers,
];

/** Every check, in report order within each category. */
export const CHECKS: readonly AnyCheck[] = all;
