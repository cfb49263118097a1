// The log-store collectors (Azure Log Analytics, CloudWatch Logs): facts about the runner's recent
// errors that need no Kubernetes RBAC, only a cloud permission on the store.
import { azureLogs } from './azure.ts';
import { cloudwatchLogs } from './cloudwatch.ts';

export const CLOUD_COLLECTORS = [azureLogs, cloudwatchLogs] as const;
