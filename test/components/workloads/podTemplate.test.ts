/** Pure workload helpers: the rollout checksum, label values, migration Job names, spread and probes. */
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { httpProbes, labelValue, rolloutChecksum, topologySpread } from "../../../components/workloads/podTemplate";
import { migrationJobName } from "../../../components/config/naming";
import { SERVICE_KEYS } from "../../../components/config/catalogue";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
/** What config accepts as an image tag (configSchema.ts). */
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);

describe("rolloutChecksum", () => {
  it("ignores key order and changes with any value", () => {
    expect(rolloutChecksum({ a: 1, b: { c: "x", d: "y" } })).toBe(rolloutChecksum({ b: { d: "y", c: "x" }, a: 1 }));
    expect(rolloutChecksum({ a: 1, b: { c: "x" } })).not.toBe(rolloutChecksum({ a: 1, b: { c: "z" } }));
    expect(rolloutChecksum({ activeUser: "blue" })).not.toBe(rolloutChecksum({ activeUser: "green" }));
  });

  it("refuses an Output or a secret anywhere in its input: it hashes plain data only", () => {
    expect(() => rolloutChecksum({ config: { password: pulumi.secret("hunter2") } })).toThrow("inputs.config.password is not plain data");
    expect(() => rolloutChecksum({ list: [pulumi.output("x")] })).toThrow("inputs.list[0] is not plain data");
  });
});

describe("labelValue", () => {
  it("always yields a valid label value", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => LABEL_VALUE.test(labelValue(s))));
    expect(labelValue("v1.14.2")).toBe("v1.14.2");
  });
});

describe("migrationJobName", () => {
  it("keeps a tag that is already a DNS label, readable", () => {
    expect(migrationJobName("booking", "v1-14-2")).toBe("booking-migrate-v1-14-2");
  });

  it("is a DNS-1123 label of at most 63 characters for every tag config accepts", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SERVICE_KEYS), tag, (key, t) => {
        const name = migrationJobName(key, t);
        return DNS_LABEL.test(name) && name.startsWith(`${key}-migrate-`);
      }),
      { numRuns: 2000 },
    );
  });

  it("gives distinct tags distinct Jobs (a new version always runs its migrations)", () => {
    fc.assert(fc.property(tag, tag, (a, b) => a === b || migrationJobName("notifications", a) !== migrationJobName("notifications", b)), { numRuns: 2000 });
    expect(migrationJobName("auth", "v1.2")).not.toBe(migrationJobName("auth", "v1-2"));
    expect(migrationJobName("auth", "V1")).not.toBe(migrationJobName("auth", "v1"));
  });
});

describe("topologySpread", () => {
  const selector = { "app.kubernetes.io/name": "core", "app.kubernetes.io/instance": "core" };

  it("declares nothing when both topologies are off", () => {
    expect(topologySpread(selector, { zones: "off", hosts: "off" })).toEqual([]);
  });

  it("declares only the topologies that are on, with their own mode", () => {
    expect(topologySpread(selector, { zones: "off", hosts: "DoNotSchedule" })).toEqual([
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: selector },
        matchLabelKeys: ["pod-template-hash"],
        nodeTaintsPolicy: "Honor",
      },
    ]);
    expect(topologySpread(selector, { zones: "ScheduleAnyway", hosts: "off" }).map((c) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ["topology.kubernetes.io/zone", "ScheduleAnyway"],
    ]);
  });
});

describe("httpProbes", () => {
  const paths = { livenessPath: "/live", readinessPath: "/ready", startupPath: "/started", startupTimeoutSeconds: 12 };

  it("gives the startup probe at least the configured time, in 5-second periods", () => {
    const p = httpProbes(paths, "http");
    expect(p.startupProbe).toEqual({ httpGet: { path: "/started", port: "http" }, timeoutSeconds: 3, periodSeconds: 5, failureThreshold: 3 });
    expect(httpProbes({ ...paths, startupTimeoutSeconds: 120 }, "http").startupProbe).toMatchObject({ failureThreshold: 24 });
  });

  it("points liveness and readiness at their own paths on the named port", () => {
    const p = httpProbes(paths, "health");
    expect(p.livenessProbe).toMatchObject({ httpGet: { path: "/live", port: "health" } });
    expect(p.readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: "health" }, successThreshold: 1 });
  });
});
