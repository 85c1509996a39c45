/** The API-server value rules the manifest validator applies (tools/k8s/rules.ts), table-driven. */
import fc from "fast-check";
import { hasHostBits, isStrictSubset, isValidEnvName, isValidLabelKey, isValidPortName, parseCidr, parseQuantity } from "../../tools/k8s/rules";

describe("parseQuantity", () => {
  it.each([
    ["250m", 0.25],
    ["1", 1],
    ["1.5", 1.5],
    ["0.5", 0.5],
    ["256Mi", 256 * 2 ** 20],
    ["1Gi", 2 ** 30],
    ["1G", 1e9],
    ["128k", 128000],
    ["1e3", 1000],
    ["100n", 100e-9],
    [2, 2],
  ] as [string | number, number][])("%s = %d", (q, value) => {
    expect(parseQuantity(q)).toBeCloseTo(value, 12);
  });

  it.each(["", "1.5.2", "10 Mi", "Mi", "1mi", "1KB", "-"])("%j is not a quantity", (q) => {
    expect(parseQuantity(q)).toBeUndefined();
  });

  it("orders what it parses: binary above decimal, milli below one", () => {
    expect(parseQuantity("512Mi")! < parseQuantity("1Gi")!).toBe(true);
    expect(parseQuantity("1Gi")! > parseQuantity("1G")!).toBe(true);
    expect(parseQuantity("500m")! < parseQuantity("1")!).toBe(true);
  });
});

describe("names", () => {
  it.each([
    ["http", true],
    ["health", true],
    ["h2c-8080", true],
    ["8080", false],
    ["-http", false],
    ["http-", false],
    ["my--port", false],
    ["HTTP", false],
    ["a-very-long-port1", false],
  ] as [string, boolean][])("port name %s: %s", (name, ok) => {
    expect(isValidPortName(name)).toBe(ok);
  });

  it.each([
    ["DATABASE_HOST", true],
    ["node.env", true],
    ["_x", true],
    ["1ST", false],
    ["A B", false],
    ["A=B", false],
  ] as [string, boolean][])("env name %s: %s", (name, ok) => {
    expect(isValidEnvName(name)).toBe(ok);
  });

  it.each([
    ["app", true],
    ["app.kubernetes.io/name", true],
    ["volteryde.io/rollout-checksum", true],
    // Kubernetes limits a subdomain prefix to 253 in all (IsDNS1123Subdomain), not each label to 63.
    [`${"a".repeat(253)}/x`, true],
    [`${"a".repeat(254)}/x`, false],
    [`${"a".repeat(63)}.b/x`, true],
    ["a/b/c", false],
    ["Example.com/x", false],
    [`x/${"n".repeat(64)}`, false],
  ] as [string, boolean][])("label key %s: %s", (key, ok) => {
    expect(isValidLabelKey(key)).toBe(ok);
  });
});

describe("CIDRs", () => {
  it.each([
    ["0.0.0.0/0", 4, 0],
    ["10.0.0.0/8", 4, 8],
    ["::/0", 6, 0],
    ["2001:db8::/32", 6, 32],
    ["fe80::1:2/128", 6, 128],
  ] as [string, number, number][])("%s parses", (text, family, bits) => {
    expect(parseCidr(text)).toMatchObject({ family, bits });
  });

  it.each(["10.0.0.0", "10.0.0.0/33", "256.0.0.0/8", "::/129", "1:2:3:4:5:6:7:8:9/64", "1::2::3/64", "example.com/32"])("%s is not a CIDR", (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it.each([
    ["10.1.0.0/16", "10.0.0.0/8", true],
    ["10.0.0.0/8", "10.0.0.0/8", false],
    ["192.168.0.0/16", "10.0.0.0/8", false],
    ["10.0.0.0/8", "10.1.0.0/16", false],
    ["2001:db8:1::/48", "2001:db8::/32", true],
    ["10.0.0.0/16", "::/0", false],
  ] as [string, string, boolean][])("%s strict subset of %s: %s", (inner, outer, ok) => {
    expect(isStrictSubset(parseCidr(inner)!, parseCidr(outer)!)).toBe(ok);
  });

  it("flags host bits beyond the prefix", () => {
    expect(hasHostBits(parseCidr("10.0.0.1/8")!)).toBe(true);
    expect(hasHostBits(parseCidr("10.0.0.0/8")!)).toBe(false);
    expect(hasHostBits(parseCidr("2001:db8::1/64")!)).toBe(true);
    expect(hasHostBits(parseCidr("0.0.0.0/0")!)).toBe(false);
  });

  it("every IPv4 network address parses back to the prefix it was built with", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), fc.nat({ max: 2 ** 32 - 1 }), (bits, address) => {
        const network = bits === 0 ? 0 : (address >>> (32 - bits)) << (32 - bits) >>> 0;
        const text = `${[24, 16, 8, 0].map((s) => (network >>> s) & 255).join(".")}/${bits}`;
        const c = parseCidr(text);
        return c !== undefined && c.bits === bits && !hasHostBits(c);
      }),
      { numRuns: 500 },
    );
  });
});
