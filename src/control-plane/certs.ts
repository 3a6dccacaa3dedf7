// Certificates for a throwaway control plane, made the way controller-runtime's envtest makes them: independent
// ECDSA P-256 CAs for serving and for client auth, a serving leaf for 127.0.0.1/localhost, and an admin client
// certificate in system:masters. Node's crypto cannot issue X.509 certificates, hence @peculiar/x509.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface ControlPlaneCerts {
  servingCa: PemPair;
  serving: PemPair;
  clientCa: PemPair;
  admin: PemPair;
  /** Service-account token signing key pair (PKCS#8 private, SPKI public). */
  serviceAccount: { publicPem: string; privatePem: string };
  /**
   * Issues a client certificate for another user (CN) in the given groups (O), signed by the client CA, valid for 7 days
   * from `notBefore` (default: the CA's own start; an earlier one makes an expired certificate).
   */
  issueClient(user: string, groups: string[], notBefore?: Date): Promise<PemPair>;
}

let serial = 1;
function nextSerial(): string {
  serial += 1;
  return serial.toString(16).padStart(2, '0');
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function makeCa(cn: string, notBefore: Date): Promise<{ pair: PemPair; keys: CryptoKeyPair; name: string }> {
  const keys = await newKeys();
  const name = `CN=${cn}, O=mcpre`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 7 * DAY_MS),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { pair: { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) }, keys, name };
}

async function makeLeaf(
  ca: { keys: CryptoKeyPair; name: string },
  subject: string,
  notBefore: Date,
  usage: 'server' | 'client',
): Promise<PemPair> {
  const keys = await newKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([
      usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
    ]),
  ];
  if (usage === 'server') {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject,
    issuer: ca.name,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 7 * DAY_MS),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: alg,
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** `now` is passed in (not read here) so callers decide the validity window; a minute of back-dating absorbs skew. */
export async function makeControlPlaneCerts(now: Date): Promise<ControlPlaneCerts> {
  const notBefore = new Date(now.getTime() - 60_000);
  const servingCa = await makeCa('mcpre-serving-ca', notBefore);
  const clientCa = await makeCa('mcpre-client-ca', notBefore);
  const sa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    servingCa: servingCa.pair,
    serving: await makeLeaf(servingCa, 'CN=localhost, O=mcpre', notBefore, 'server'),
    clientCa: clientCa.pair,
    admin: await makeLeaf(clientCa, 'CN=admin, O=system:masters', notBefore, 'client'),
    issueClient: (user, groups, from = notBefore) =>
      makeLeaf(clientCa, [`CN=${user}`, ...groups.map((g) => `O=${g}`)].join(', '), from, 'client'),
    serviceAccount: {
      publicPem: sa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privatePem: sa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    },
  };
}
