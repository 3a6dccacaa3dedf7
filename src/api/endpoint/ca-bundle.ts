// CA bundle checks: a referenced ConfigMap key must hold at least one PEM certificate, and every certificate block in
// it must parse. A bundle that silently drops a broken certificate would make TLS fail later, far from the cause.
import { X509Certificate } from 'node:crypto';
import { memoByText } from '../text-memo.ts';
import type { ConfigMap } from './model.ts';

export type CaBundleCheck =
  | { ok: true; certificates: number; pem: string }
  | {
      ok: false;
      reason: 'CABundleNotFound' | 'CABundleKeyNotFound' | 'CABundleNotPEM' | 'CABundleInvalidCertificate';
      message: string;
    };

const BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
export const DEFAULT_CA_BUNDLE_KEY = 'ca.crt';

/**
 * Checks the CA bundle a `caBundleRef` points at; `configMap` is null when the ConfigMap does not exist. `field` is
 * the reference's path in the spec, for the messages.
 */
export function checkCaBundle(
  ref: { name: string; key?: string },
  configMap: ConfigMap | null,
  field = 'spec.caBundleRef',
): CaBundleCheck {
  const key = ref.key || DEFAULT_CA_BUNDLE_KEY;
  const where = `key "${key}" of ConfigMap "${ref.name}"`;
  if (!configMap) {
    return {
      ok: false,
      reason: 'CABundleNotFound',
      message: `ConfigMap "${ref.name}" (${field}) does not exist in this namespace; create it with the PEM CA certificates under key "${key}"`,
    };
  }
  const text = configMapText(configMap, key);
  if (text === undefined) {
    const keys = Object.keys({ ...configMap.data, ...configMap.binaryData }).sort();
    return {
      ok: false,
      reason: 'CABundleKeyNotFound',
      message: `ConfigMap "${ref.name}" has no key "${key}" (it has: ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'no keys'}); set ${field}.key or add the key`,
    };
  }
  return checkPemCertificates(text, where);
}

/** A ConfigMap key's text, from `data` or else from `binaryData` (base64; PEM is ASCII). */
export function configMapText(configMap: ConfigMap, key: string): string | undefined {
  const text = configMap.data?.[key];
  if (text !== undefined) return text;
  const binary = configMap.binaryData?.[key];
  return binary === undefined ? undefined : Buffer.from(binary, 'base64').toString('latin1');
}

/** The `-----BEGIN CERTIFICATE-----` blocks of a PEM text, in order (anything between them left out). */
export function pemCertificateBlocks(text: string): string[] {
  return text.match(BLOCK) ?? [];
}

/** At least one `-----BEGIN CERTIFICATE-----` block, and every such block parses as an X.509 certificate. */
export function checkPemCertificates(text: string, where = 'the CA bundle'): CaBundleCheck {
  const blocks = pemCertificateBlocks(text);
  if (blocks.length === 0) {
    return {
      ok: false,
      reason: 'CABundleNotPEM',
      message: `${where} holds no PEM certificate: expected one or more "-----BEGIN CERTIFICATE-----" blocks (convert DER with: openssl x509 -inform der -in ca.der -out ca.crt)`,
    };
  }
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i] ?? '';
    const detail = certificateProblems(block, () => {
      try {
        new X509Certificate(block);
        return undefined;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    });
    if (detail !== undefined) {
      return {
        ok: false,
        reason: 'CABundleInvalidCertificate',
        message: `certificate ${i + 1} of ${blocks.length} in ${where} is not a valid X.509 certificate (${detail}); fix or remove that block`,
      };
    }
  }
  return { ok: true, certificates: blocks.length, pem: text };
}

/** Why a PEM block does not parse (undefined: it does); the same bundles are checked on every reconcile. */
const certificateProblems = memoByText<string | undefined>(64);
