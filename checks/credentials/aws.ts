import { defineCheck } from '../../src/engine/define.ts';
import { HELM } from '../../src/domain/chart.ts';
import { envValue, isSet, providerApplies } from '../../src/domain/env.ts';
import { IRSA_ARN } from '../../src/domain/platforms.ts';
import { POD_IDENTITY_ENV } from '../../src/domain/identity.ts';

const TOKEN_VAR = 'AWS_WEB_IDENTITY_TOKEN_FILE';
const [POD_IDENTITY_URI, POD_IDENTITY_TOKEN] = POD_IDENTITY_ENV;

export default defineCheck({
  id: 'credentials.aws',
  title: 'AWS credentials: IRSA role and token file, or static keys',
  category: 'credentials',
  scope: 'pod',
  tags: ['aws', 'identity'],
  docs: {
    what: 'Looks for IRSA (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, which must exist and be readable) or static keys (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY). Values of keys are never read out.',
    why: 'Without credentials the runner cannot read Secrets Manager, S3 or CloudWatch; static keys work but do not rotate.',
    fix: "Annotate the ServiceAccount with eks.amazonaws.com/role-arn (the chart's service account role ARN value) so EKS injects AWS_ROLE_ARN and the token file; the role's trust policy must name the matillion-runner-sa ServiceAccount.",
  },
  needs: ['env', 'credentials'],
  messages: {
    irsa: { status: 'pass', text: 'IRSA: role {{arn}}, token file readable' },
    'static-keys': {
      status: 'info',
      text: 'static AWS access keys are in the environment: they work, but do not rotate; IRSA is recommended',
      fix: 'move to IRSA: annotate matillion-runner-sa with eks.amazonaws.com/role-arn and remove the static keys Secret',
    },
    'arn-placeholder': {
      status: 'fail',
      text: 'AWS_ROLE_ARN is an unfilled placeholder ({{arn}})',
      fix: `set the service account role ARN Helm value (${HELM.roleArn}) to the IAM role for the runner and run helm upgrade`,
    },
    'arn-malformed': {
      status: 'warn',
      text: 'AWS_ROLE_ARN "{{arn}}" does not look like arn:aws:iam::<account>:role/<name>',
    },
    'no-role-arn': { status: 'fail', text: 'AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not' },
    'no-token-file': {
      status: 'fail',
      text: 'AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not: the IRSA webhook did not inject the token',
      fix: 'check that the EKS pod identity webhook is running and the ServiceAccount carries eks.amazonaws.com/role-arn; restart the pods after annotating',
    },
    'token-file-unusable': {
      status: 'fail',
      text: 'the IRSA token file is {{state}}',
      fix: 'the projected token volume must be mounted and readable by the runner user (fsGroup); restart the pod after fixing the ServiceAccount annotation',
    },
    'static-keys-first': {
      status: 'warn',
      text: "{{mode}} is configured, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are in the environment too: the SDK's default chain takes the static keys first, so the role is never used",
      fix: 'remove the static keys from the runner (the <fullname>-aws-local Secret, or the variables) and restart the pods',
    },
    'pod-identity': {
      status: 'pass',
      text: 'EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_FULL_URI and its token file are set (the role comes from the Pod Identity association)',
    },
    'pod-identity-incomplete': {
      status: 'fail',
      text: 'AWS_CONTAINER_CREDENTIALS_FULL_URI is set but AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {{what}}: the SDK cannot authenticate to the Pod Identity agent',
      fix: 'the EKS Pod Identity webhook injects both and mounts the token: check the Pod Identity association of the ServiceAccount and restart the pods',
    },
    'secret-key-missing': { status: 'fail', text: 'AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY' },
    'no-credentials': {
      status: 'fail',
      text: 'no AWS credentials: neither IRSA (AWS_ROLE_ARN + token file) nor static keys',
    },
    'not-aws': { status: 'skip', text: 'CLOUD_PROVIDER is not AWS' },
  },
  judge({ env, credentials }, { report }) {
    if (!providerApplies(env, 'AWS', ['AWS_ROLE_ARN', 'AWS_ACCESS_KEY_ID', TOKEN_VAR, POD_IDENTITY_URI]))
      return report('not-aws');
    const irsa = isSet(env, 'AWS_ROLE_ARN') || isSet(env, TOKEN_VAR);
    const staticKeys = isSet(env, 'AWS_ACCESS_KEY_ID') && isSet(env, 'AWS_SECRET_ACCESS_KEY');
    if (irsa) {
      const arn = envValue(env, 'AWS_ROLE_ARN') ?? '';
      if (env.AWS_ROLE_ARN?.placeholder) return report('arn-placeholder', { arn });
      if (!isSet(env, 'AWS_ROLE_ARN')) return report('no-role-arn');
      const token = credentials.tokens[TOKEN_VAR];
      if (!isSet(env, TOKEN_VAR) || !token) return report('no-token-file');
      const tokenFile = envValue(env, TOKEN_VAR);
      if (token.state !== 'ok')
        return report('token-file-unusable', { state: token.state }, { details: { tokenFile } });
      if (!IRSA_ARN.test(arn)) return report('arn-malformed', { arn }, { details: { roleArn: arn } });
      if (staticKeys) return report('static-keys-first', { mode: `IRSA (role ${arn})` }, { details: { roleArn: arn } });
      return report('irsa', { arn }, { details: { roleArn: arn, tokenFile } });
    }
    if (isSet(env, POD_IDENTITY_URI)) {
      if (staticKeys) return report('static-keys-first', { mode: 'EKS Pod Identity' });
      const token = credentials.tokens[POD_IDENTITY_TOKEN];
      if (!isSet(env, POD_IDENTITY_TOKEN)) return report('pod-identity-incomplete', { what: 'is not' });
      if (token && token.state !== 'ok')
        return report('pod-identity-incomplete', { what: `names a file that is ${token.state}` });
      return report('pod-identity');
    }
    if (isSet(env, 'AWS_ACCESS_KEY_ID') && isSet(env, 'AWS_SECRET_ACCESS_KEY')) return report('static-keys');
    if (isSet(env, 'AWS_ACCESS_KEY_ID')) return report('secret-key-missing');
    return report('no-credentials');
  },
});
