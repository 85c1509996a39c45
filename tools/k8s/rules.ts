/**
 * Value rules the Kubernetes API server applies and the OpenAPI schema cannot express, as pure
 * functions (tools/k8s/manifests.ts applies them to objects). Sources:
 * - quantities: k8s.io/apimachinery `pkg/api/resource/quantity.go` (suffixes n u m "" k M G T P E,
 *   Ki … Ei, and decimal exponents e/E);
 * - port names: k8s.io/apimachinery `pkg/util/validation/validation.go` IsValidPortName (IANA_SVC_NAME:
 *   at most 15 of [-a-z0-9], at least one letter, no leading, trailing or double hyphen);
 * - environment variable names: the same file's IsEnvVarName (`[-._a-zA-Z][-._a-zA-Z0-9]*`);
 * - label keys: IsQualifiedName (optional DNS-subdomain prefix of at most 253, name of at most 63);
 * - annotations: k8s.io/apimachinery `pkg/api/validation/objectmeta.go`, at most 256 KiB of keys
 *   and values together (TotalAnnotationSizeLimitB);
 * - CIDRs: NetworkPolicy `ipBlock` (kubernetes `pkg/apis/networking/validation/validation.go`
 *   ValidateIPBlock: each `except` "must be a strict subset of `cidr`"; since 1.33 a new object's
 *   CIDR "must not have bits set beyond the prefix length").
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The value of a resource quantity ("250m" = 0.25, "1Gi" = 2^30), or undefined when it is not one. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  if (typeof q !== "string") return undefined;
  const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[numkMGTPE])?$/.exec(q);
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? "";
  if (suffix in BINARY) return n * BINARY[suffix];
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return n * DECIMAL[suffix];
}

/** IANA_SVC_NAME, what a container port's name must be. */
export function isValidPortName(name: string): boolean {
  return name.length <= 15 && /^[-a-z0-9]+$/.test(name) && /[a-z]/.test(name) && !name.includes("--") && !name.startsWith("-") && !name.endsWith("-");
}

export function isValidPortNumber(port: unknown): boolean {
  return typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535;
}

export function isValidEnvName(name: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name);
}

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A label (or annotation) key: `[prefix/]name`, prefix a DNS subdomain of at most 253, name at most 63. */
export function isValidLabelKey(key: string): boolean {
  const parts = key.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  return LABEL_NAME.test(name) && (parts.length === 1 || DNS_SUBDOMAIN.test(parts[0]));
}

export const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** Bytes of all annotation keys and values together, as the API server counts them. */
export function annotationBytes(annotations: Record<string, unknown> | undefined): number {
  return Object.entries(annotations ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
}

interface Cidr {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly bits: number;
}

function ipv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => (n << 8n) | BigInt(Number(p)), 0n);
}

function ipv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || (text.match(/::/g) ?? []).length > 1) return undefined;
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const missing = 8 - h.length - t.length;
  if ((tail === undefined && missing !== 0) || (tail !== undefined && missing < 1)) return undefined;
  const all = [...h, ...Array(tail === undefined ? 0 : missing).fill("0"), ...t];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** A CIDR as the API server accepts it (IPv4 or IPv6, prefix within the family's width). */
export function parseCidr(text: unknown): Cidr | undefined {
  if (typeof text !== "string") return undefined;
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(text);
  if (!m) return undefined;
  const bits = Number(m[2]);
  const v4 = ipv4(m[1]);
  if (v4 !== undefined) return bits <= 32 ? { family: 4, base: v4, bits } : undefined;
  const v6 = ipv6(m[1]);
  if (v6 !== undefined) return bits <= 128 ? { family: 6, base: v6, bits } : undefined;
  return undefined;
}

const width = (c: Cidr) => (c.family === 4 ? 32n : 128n);

/** Whether `inner` is a strict subset of `outer` (same family, a longer prefix, inside its network). */
export function isStrictSubset(inner: Cidr, outer: Cidr): boolean {
  if (outer.family !== inner.family || inner.bits <= outer.bits) return false;
  const shift = width(outer) - BigInt(outer.bits);
  return outer.base >> shift === inner.base >> shift;
}

/** Whether the address has bits set after the prefix (10.0.0.1/8 instead of 10.0.0.0/8). */
export function hasHostBits(c: Cidr): boolean {
  const host = width(c) - BigInt(c.bits);
  return (c.base & ((1n << host) - 1n)) !== 0n;
}
