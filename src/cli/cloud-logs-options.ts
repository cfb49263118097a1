// The logs checks' options from flags and the config file, validated up front so that a bad workspace
// id or window is a usage error (exit 2) rather than an error result. None given: no cloud log store is
// read, and the logs checks skip naming the flag that enables them.
import type { DoctorConfig } from '../config/load.ts';
import { DEFAULT_SINCE_MS, parseSince } from '../domain/log-signatures.ts';
import type { CloudLogsOptions } from '../facts/collector.ts';
import { UsageError } from './errors.ts';

export interface CloudLogsArgs {
  azureWorkspace?: string;
  awsLogGroup?: string;
  awsRegion?: string;
  since?: string;
  azureLogsEndpoint?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function buildCloudLogs(
  args: CloudLogsArgs,
  config: DoctorConfig | undefined,
  ca: readonly string[],
): CloudLogsOptions | undefined {
  const c = config?.logs;
  const azureWorkspace = args.azureWorkspace ?? c?.azureWorkspace;
  const awsLogGroup = args.awsLogGroup ?? c?.awsLogGroup;
  const sinceText = args.since ?? c?.since;
  const since = sinceText === undefined ? DEFAULT_SINCE_MS : parseSince(sinceText);
  if (since === undefined)
    throw new UsageError(
      `--since ${JSON.stringify(sinceText)}: expected minutes, hours or days such as 90m, 24h or 7d (1m to 31d)`,
    );
  if (azureWorkspace !== undefined && !GUID.test(azureWorkspace))
    throw new UsageError(
      `--azure-workspace ${JSON.stringify(azureWorkspace)} is not a workspace ID: pass the GUID on the Log Analytics workspace's Overview page`,
    );
  const endpoint = args.azureLogsEndpoint ?? c?.azureEndpoint;
  if (endpoint !== undefined && !/^https:\/\/[^/\s]+/.test(endpoint))
    throw new UsageError(
      `--azure-logs-endpoint ${JSON.stringify(endpoint)}: expected https://host[/v1] (the SDK refuses plain HTTP)`,
    );
  if (azureWorkspace === undefined && awsLogGroup === undefined) return undefined;
  const region = args.awsRegion ?? c?.awsRegion;
  return {
    ...(azureWorkspace !== undefined ? { azureWorkspace } : {}),
    ...(awsLogGroup !== undefined ? { awsLogGroup } : {}),
    ...(region ? { awsRegion: region } : {}),
    since,
    ...(endpoint ? { azureEndpoint: endpoint } : {}),
    ...(ca.length ? { ca: [...ca] } : {}),
  };
}
