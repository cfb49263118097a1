// Typed facts about one runner environment (a pod or the doctor's host), as the probe saw them.

export interface MountInfo {
  mountPoint: string;
  options: string[];
  fsType: string;
  source: string;
}

export interface Limit {
  soft: number;
  hard: number;
}

export interface EnvEntry {
  length: number;
  placeholder: boolean;
  /** Present only for allow-listed, non-secret names. */
  value?: string;
}

export interface CgroupFacts {
  version: 1 | 2 | 'none';
  /** Effective memory limit in bytes; null = no limit. */
  memoryLimit: number | null;
  memoryUsage: number | null;
  oomKills: number | null;
  cpuQuotaCores: number | null;
  pidsLimit: number | null;
  pidsCurrent: number | null;
}

export interface PathFacts {
  write: 'ok' | 'denied' | 'missing';
  sizeKiB?: number;
  freeKiB?: number;
  mount?: MountInfo;
}

export interface ProbeFacts {
  /** Things the parser noticed about the output itself (ignored noise, truncation). */
  notes: string[];
  identity: {
    uid: number | null;
    gid: number | null;
    user?: string;
    groups: string[];
    noNewPrivs: boolean | null;
    /** 0 disabled, 1 strict, 2 filter. */
    seccomp: 0 | 1 | 2 | null;
    capEff: bigint | null;
    capabilities: string[] | null;
  };
  python: {
    path?: string;
    version?: string;
    inline?: { rc: number | null; out: string };
    file?: { rc: number | null | 'unwritable'; out: string; dir?: string };
  };
  java: { path?: string; version?: string; major?: number };
  jvm: { source: string; flags: string[] }[];
  fs: {
    workdir: string;
    paths: Record<string, PathFacts>;
    tmpExecRc: number | null;
    rootReadOnly: boolean | null;
  };
  sudo: boolean;
  restrictedUser: boolean | null;
  restrictedGroup: boolean | null;
  cgroup: CgroupFacts;
  overcommitMemory: number | null;
  limits: { nofile: Limit | null; nproc: Limit | null };
  env: Map<string, EnvEntry>;
  tokens: Record<string, { state: 'ok' | 'missing' | 'unreadable'; exp?: number }>;
  preload: string[];
}
