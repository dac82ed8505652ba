import { createHash } from 'node:crypto';

/** What callers without a key are counted as: a key may not pass for them. */
const RESERVED_LABELS = new Set(['anonymous', 'gateway', 'oauth', 'stdio']);

/** A configured key: its label (safe to log) and the SHA-256 of the secret (never the secret). */
export interface ApiKeyEntry {
  label: string;
  digest: Buffer;
}

export class ApiKeyParseError extends Error {}

const LABEL = /^[A-Za-z0-9._-]{1,64}$/;
const SHA256 = /^sha256:([0-9a-fA-F]{64})$/;

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Parses `API_KEYS`: comma-separated entries, each `key`, `label:key`, `sha256:<hex>` or
 * `label:sha256:<hex>`. An unlabelled key gets a label derived from its hash, so logs and metrics
 * can tell keys apart without ever showing one.
 */
export function parseApiKeys(value: string, name = 'API_KEYS'): ApiKeyEntry[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => parseEntry(entry, index, name));
  const labels = new Set<string>();
  for (const entry of entries) {
    if (labels.has(entry.label))
      throw new ApiKeyParseError(`${name}: the label "${entry.label}" is used twice`);
    labels.add(entry.label);
  }
  return entries;
}

function parseEntry(entry: string, index: number, name: string): ApiKeyEntry {
  const hashed = SHA256.exec(entry);
  if (hashed)
    return {
      label: derivedLabel(Buffer.from(hashed[1], 'hex')),
      digest: Buffer.from(hashed[1], 'hex'),
    };
  const colon = entry.indexOf(':');
  if (colon > 0 && !entry.startsWith('sha256:')) {
    const label = entry.slice(0, colon);
    const rest = entry.slice(colon + 1);
    if (!LABEL.test(label)) {
      throw new ApiKeyParseError(
        `${name}: entry ${index + 1} has an invalid label (letters, digits, . _ - only)`,
      );
    }
    if (RESERVED_LABELS.has(label)) {
      throw new ApiKeyParseError(
        `${name}: entry ${index + 1} uses the label "${label}", which names other callers in logs and metrics`,
      );
    }
    const restHashed = SHA256.exec(rest);
    if (restHashed) return { label, digest: Buffer.from(restHashed[1], 'hex') };
    if (rest.startsWith('sha256:')) {
      throw new ApiKeyParseError(
        `${name}: entry ${index + 1} is not a valid sha256:<64 hex digits>`,
      );
    }
    return { label, digest: checkedSecret(rest, index, name) };
  }
  if (entry.startsWith('sha256:')) {
    throw new ApiKeyParseError(`${name}: entry ${index + 1} is not a valid sha256:<64 hex digits>`);
  }
  const digest = checkedSecret(entry, index, name);
  return { label: derivedLabel(digest), digest };
}

function checkedSecret(secret: string, index: number, name: string): Buffer {
  if (secret.length < 16) {
    throw new ApiKeyParseError(`${name}: entry ${index + 1} is shorter than 16 characters`);
  }
  return sha256(secret);
}

function derivedLabel(digest: Buffer): string {
  return `key-${digest.toString('hex').slice(0, 8)}`;
}

/**
 * What is wrong with keys found in both API_KEYS and ADMIN_API_KEYS, one problem per admin entry.
 * Logs, metrics and session ownership go by label, so a label shared by a user key and an admin
 * key would let one stand in for the other; a key in both lists always authenticates as admin.
 */
export function crossListProblems(
  user: readonly ApiKeyEntry[],
  admin: readonly ApiKeyEntry[],
): string[] {
  const problems: string[] = [];
  for (const entry of admin) {
    const sameKey = user.find((candidate) => candidate.digest.equals(entry.digest));
    if (sameKey) {
      const alias = sameKey.label === entry.label ? '' : ` (as "${sameKey.label}")`;
      problems.push(
        `ADMIN_API_KEYS: the key labelled "${entry.label}" is also in API_KEYS${alias}; a key belongs in one list`,
      );
    } else if (user.some((candidate) => candidate.label === entry.label)) {
      problems.push(
        `ADMIN_API_KEYS: the label "${entry.label}" is also used in API_KEYS; labels must differ between the two lists`,
      );
    }
  }
  return problems;
}
