// Writes deploy/runner-doctor.yaml (everything for `kubectl apply`: RBAC and the Job), deploy/rbac.yaml
// (the RBAC alone) for namespace matillion, and the Helm chart's RBAC template, exactly as `runner-doctor manifest` prints them. A test fails
// when they drift; `npm run deploy` regenerates them.
import { writeFileSync } from 'node:fs';
import { helmRbacTemplate, manifestYaml } from '../src/cli/manifest.ts';

const out = (f: string) => new URL(`../deploy/${f}`, import.meta.url);
writeFileSync(out('runner-doctor.yaml'), await manifestYaml({ namespace: 'matillion' }));
writeFileSync(out('rbac.yaml'), await manifestYaml({ namespace: 'matillion', rbacOnly: true }));
writeFileSync(out('helm/runner-doctor/templates/rbac.yaml'), await helmRbacTemplate());
console.log('deploy/runner-doctor.yaml, deploy/rbac.yaml, deploy/helm/runner-doctor/templates/rbac.yaml written');
