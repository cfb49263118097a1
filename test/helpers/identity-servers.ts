// Stand-ins for the cloud identity services, on 127.0.0.1, speaking their real wire protocols — the
// runner's SDKs (and the doctor's in-pod exchange) cannot tell them apart from the real ones:
// - AWS STS, query protocol: POST / `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=…&
//   RoleSessionName=…&WebIdentityToken=…` → an AssumeRoleWithWebIdentityResponse, or an ErrorResponse
//   (AccessDenied "Not authorized to perform sts:AssumeRoleWithWebIdentity", InvalidIdentityToken for a
//   wrong audience or issuer, ExpiredTokenException);
// - the Azure AD v2 token endpoint: POST /{tenant}/oauth2/v2.0/token with a jwt-bearer client assertion →
//   an access token, or AADSTS70021 / 700211 / 700212 / 700024 / 700016 / 90002;
// - the GKE metadata server: GET /computeMetadata/v1/instance/service-accounts/default/{email,token}
//   with `Metadata-Flavor: Google`;
// - the EKS Pod Identity agent: GET with the projected token as Authorization.
// Each checks the presented token's claims (never its signature: these tokens are fakeJwt) against what
// the vendor's Terraform binds, so another namespace or ServiceAccount name gets the real error. Every
// credential they hand out carries `canary`, which must never appear in any output.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { subjectMatches, trustBinding } from '../../src/domain/identity.ts';

export interface Stand {
  port: number;
  url: string;
  /** Requests received. */
  calls: number;
  close(): Promise<void>;
}

export interface Tls {
  key: string;
  cert: string;
}

function claimsOf(token: string): Record<string, unknown> {
  try {
    const p = token.split('.')[1] ?? '';
    return JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
const audOf = (c: Record<string, unknown>) =>
  Array.isArray(c.aud) ? c.aud.map(String) : typeof c.aud === 'string' ? [c.aud] : [];
const nowS = () => Math.floor(Date.now() / 1000);

async function serve(tls: Tls | undefined, handler: http.RequestListener): Promise<Stand> {
  const sockets = new Set<net.Socket>();
  const stand = { calls: 0 } as Stand;
  const wrapped: http.RequestListener = (req, res) => {
    stand.calls++;
    handler(req, res);
  };
  const srv = tls ? https.createServer({ key: tls.key, cert: tls.cert }, wrapped) : http.createServer(wrapped);
  srv.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  srv.on('tlsClientError', () => {});
  await new Promise<void>((res, rej) => srv.once('error', rej).listen(0, '127.0.0.1', res));
  const port = (srv.address() as net.AddressInfo).port;
  stand.port = port;
  stand.url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  stand.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      srv.close(() => r());
    });
  return stand;
}

const body = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let b = '';
    req.on('data', (c: Buffer) => {
      if (b.length < 65536) b += c.toString('utf8');
    });
    req.on('end', () => resolve(b));
  });

// --- AWS STS ---------------------------------------------------------------------------------------

export interface StsOptions {
  tls?: Tls;
  /** Role ARNs that exist. */
  roles: string[];
  /** Subject patterns the roles' trust policy accepts (default: the vendor's Terraform). */
  trust?: string[];
  /** Issuers with an IAM OIDC provider (any when omitted). */
  issuers?: string[];
  canary: string;
}

const stsError = (res: http.ServerResponse, status: number, code: string, message: string) => {
  res.writeHead(status, { 'Content-Type': 'text/xml' });
  res.end(
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${code}</Code>\n    <Message>${message.replace(/'/g, '&apos;')}</Message>\n  </Error>\n  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n</ErrorResponse>\n`,
  );
};

export function stsServer(o: StsOptions): Promise<Stand> {
  const trust = o.trust ?? [trustBinding('AWS', 'runner').pattern, trustBinding('AWS', 'script-runner').pattern];
  return serve(o.tls, async (req, res) => {
    const form = new URLSearchParams(await body(req));
    if (
      req.method !== 'POST' ||
      form.get('Action') !== 'AssumeRoleWithWebIdentity' ||
      form.get('Version') !== '2011-06-15'
    )
      return stsError(res, 400, 'InvalidAction', 'Could not find operation for this request');
    const token = form.get('WebIdentityToken') ?? '';
    const role = form.get('RoleArn') ?? '';
    const session = form.get('RoleSessionName') ?? '';
    const c = claimsOf(token);
    const exp = typeof c.exp === 'number' ? c.exp : 0;
    if (exp <= nowS())
      return stsError(
        res,
        400,
        'ExpiredTokenException',
        `Token expired: current date/time ${nowS()} must be before the expiration date/time ${exp}`,
      );
    if (o.issuers && !o.issuers.includes(String(c.iss)))
      return stsError(
        res,
        400,
        'InvalidIdentityToken',
        `No OpenIDConnect provider found in your account for ${String(c.iss)}`,
      );
    if (!audOf(c).includes('sts.amazonaws.com'))
      return stsError(res, 400, 'InvalidIdentityToken', 'Incorrect token audience');
    const sub = String(c.sub ?? '');
    if (!o.roles.includes(role) || !trust.some((p) => subjectMatches(p, sub)))
      return stsError(res, 403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    const name = role.split('/').pop();
    res.writeHead(200, { 'Content-Type': 'text/xml' });
    res.end(`<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIA${o.canary}</AccessKeyId>
      <SecretAccessKey>secret-${o.canary}</SecretAccessKey>
      <SessionToken>session-${o.canary}</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>${sub}</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:${session}</AssumedRoleId>
      <Arn>${role.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${session}</Arn>
    </AssumedRoleUser>
    <Provider>${String(c.iss ?? '')}</Provider>
    <Audience>sts.amazonaws.com</Audience>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`);
    void name;
  });
}

// --- Azure AD --------------------------------------------------------------------------------------

export interface AadOptions {
  tls: Tls;
  tenant: string;
  /** client id → the federated credential subjects it accepts (default: the vendor's Terraform). */
  apps: Record<string, string[] | undefined>;
  issuers?: string[];
  canary: string;
}

const aadError = (res: http.ServerResponse, status: number, error: string, code: number, text: string) => {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(
    JSON.stringify({
      error,
      error_description: `AADSTS${code}: ${text}\r\nTrace ID: 0f2c1c5b-2f4e-4a3e-9c1b-3d2b1a0e9f00\r\nCorrelation ID: 7d1f8a3c-1111-2222-3333-444455556666\r\nTimestamp: 2026-12-01 12:00:00Z`,
      error_codes: [code],
      timestamp: '2026-12-01 12:00:00Z',
      trace_id: '0f2c1c5b-2f4e-4a3e-9c1b-3d2b1a0e9f00',
      correlation_id: '7d1f8a3c-1111-2222-3333-444455556666',
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    }),
  );
};

export function aadServer(o: AadOptions): Promise<Stand> {
  return serve(o.tls, async (req, res) => {
    const m = (req.url ?? '').match(/^\/([^/]+)\/oauth2\/v2\.0\/token$/);
    const form = new URLSearchParams(await body(req));
    if (req.method !== 'POST' || !m) return aadError(res, 404, 'invalid_request', 90002, 'Not found');
    if (m[1] !== o.tenant)
      return aadError(
        res,
        400,
        'invalid_tenant',
        90002,
        `Tenant '${m[1]}' not found. Check to make sure you have the correct tenant ID.`,
      );
    if (
      form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
      form.get('grant_type') !== 'client_credentials'
    )
      return aadError(
        res,
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_assertion_type'.",
      );
    const client = form.get('client_id') ?? '';
    if (!(client in o.apps))
      return aadError(
        res,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${client}' was not found in the directory '${o.tenant}'.`,
      );
    const c = claimsOf(form.get('client_assertion') ?? '');
    const exp = typeof c.exp === 'number' ? c.exp : 0;
    if (exp <= nowS())
      return aadError(
        res,
        400,
        'invalid_client',
        700024,
        `Client assertion is not within its valid time range. Current time: ${new Date().toISOString()}, expiry time of assertion ${new Date(exp * 1000).toISOString()}.`,
      );
    if (o.issuers && !o.issuers.includes(String(c.iss)))
      return aadError(
        res,
        400,
        'invalid_client',
        700211,
        `No matching federated identity record found for presented assertion issuer '${String(c.iss)}'.`,
      );
    const aud = audOf(c);
    if (!aud.includes('api://AzureADTokenExchange'))
      return aadError(
        res,
        400,
        'invalid_client',
        700212,
        `No matching federated identity record found for presented assertion audience '${aud.join(',')}'.`,
      );
    const subjects = o.apps[client] ?? [
      trustBinding('AZURE', 'runner').pattern,
      trustBinding('AZURE', 'script-runner').pattern,
    ];
    const sub = String(c.sub ?? '');
    if (!subjects.includes(sub))
      return aadError(
        res,
        400,
        'invalid_client',
        70021,
        `No matching federated identity record found for presented assertion subject '${sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
      );
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(
      JSON.stringify({
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: `eyJ0eXAi.${o.canary}.sig`,
      }),
    );
  });
}

// --- the GKE metadata server ---------------------------------------------------------------------

export interface MetadataOptions {
  /** The pod's KSA as `namespace/name` (the real server knows it from the caller's pod IP). */
  ksa: string;
  /** The Google service account the KSA is annotated with, if any. */
  gsa?: string;
  project: string;
  /** KSAs (`namespace/name`) allowed to impersonate the GSA (roles/iam.workloadIdentityUser). */
  bound: string[];
  canary: string;
}

export function metadataServer(o: MetadataOptions): Promise<Stand> {
  return serve(undefined, (req, res) => {
    const text = (status: number, t: string, type = 'text/plain') => {
      res.writeHead(status, { 'Content-Type': type, 'Metadata-Flavor': 'Google' });
      res.end(t);
    };
    if (req.headers['metadata-flavor'] !== 'Google')
      return text(403, 'Missing required header "Metadata-Flavor": "Google"');
    const base = '/computeMetadata/v1/instance/service-accounts/default/';
    const email = o.gsa ?? `${o.project}.svc.id.goog`;
    if (req.url === `${base}email`) return text(200, email);
    if (req.url?.startsWith(`${base}token`)) {
      if (o.gsa && !o.bound.includes(o.ksa))
        return text(
          403,
          `Unable to generate access token; IAM returned 403 Forbidden: Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).\nThis error could be caused by a missing IAM policy binding on the target IAM service account.\nFor more information, refer to the Workload Identity documentation:\n\thttps://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#authenticating_to\n`,
        );
      return text(
        200,
        JSON.stringify({ access_token: `ya29.${o.canary}`, expires_in: 3599, token_type: 'Bearer' }),
        'application/json',
      );
    }
    return text(404, 'Not Found');
  });
}

// --- the EKS Pod Identity agent -------------------------------------------------------------------

export function podIdentityAgent(o: { account: string; canary: string }): Promise<Stand> {
  return serve(undefined, (req, res) => {
    const c = claimsOf(String(req.headers.authorization ?? ''));
    const json = (status: number, v: object) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (!audOf(c).includes('pods.eks.amazonaws.com') || (typeof c.exp === 'number' ? c.exp : 0) <= nowS())
      return json(400, { code: 'InvalidToken', message: 'Service account token cannot be empty or expired' });
    json(200, {
      AccessKeyId: `ASIA${o.canary}`,
      SecretAccessKey: `secret-${o.canary}`,
      Token: `session-${o.canary}`,
      AccountId: o.account,
      Expiration: '2099-01-01T00:00:00Z',
    });
  });
}

// --- the script runner's sshd ---------------------------------------------------------------------

/** A TCP server that greets like sshd, on `host` (a loopback address) and `port` (2222 by default). */
export async function sshdStandIn(host: string, port = 2222): Promise<Stand> {
  const { createServer } = await import('node:net');
  const sockets = new Set<net.Socket>();
  const stand = { calls: 0 } as Stand;
  const srv = createServer((s) => {
    stand.calls++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.write('SSH-2.0-OpenSSH_9.6 runner-doctor-stand-in\r\n');
  });
  await new Promise<void>((res, rej) => srv.once('error', rej).listen(port, host, res));
  stand.port = port;
  stand.url = `${host}:${port}`;
  stand.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      srv.close(() => r());
    });
  return stand;
}
