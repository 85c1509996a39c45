/** The pure schema: defaults from the guide, overrides, derived endpoints. */
import { ConfigError, maxReplicas, parseSettings, portOf } from "../../../components/config/configSchema";
import { SERVICE_KEYS } from "../../../components/config/catalogue";

const MINIMAL = {
  supabase: { projectRef: "abcdefghijklmnopqrst", region: "sa-east-1" },
  kubernetes: { namespace: "volteryde" },
  images: { registry: "ghcr.io/volteryde", tag: "1.0.0" },
  temporal: { address: "ns.tmprl.cloud:7233", namespace: "ns" },
};

const parse = (extra: Record<string, unknown> = {}) => parseSettings("test", { ...MINIMAL, ...extra });

describe("parseSettings defaults", () => {
  const s = parse();

  it("enables all ten services in catalogue order", () => {
    expect(s.services.map((x) => x.service.key)).toEqual(SERVICE_KEYS);
  });

  it("takes the guide's pool settings (max 10, min 2, idle 30000 ms) and one replica", () => {
    for (const svc of s.services) {
      expect(svc.pool).toEqual({ max: 10, min: 2, idleTimeoutMillis: 30000 });
      expect(svc.replicas).toBe(1);
    }
  });

  it("derives the transaction pooler for services and the session pooler for administration", () => {
    expect(s.runtimeEndpoint).toEqual({ host: "aws-0-sa-east-1.pooler.supabase.com", port: 6543, kind: "transaction-pooler" });
    expect(s.adminEndpoint).toEqual({ host: "aws-0-sa-east-1.pooler.supabase.com", port: 5432, kind: "session-pooler" });
    expect(s.adminUsername).toBe("postgres.abcdefghijklmnopqrst");
    expect(s.supabaseUrl).toBe("https://abcdefghijklmnopqrst.supabase.co");
    expect(s.sslMode).toBe("require");
    expect(s.database).toBe("postgres");
  });

  it("uses the plain admin role on the direct host", () => {
    const d = parse({ supabase: { ...MINIMAL.supabase, adminEndpoint: "direct" } });
    expect(d.adminEndpoint).toEqual({ host: "db.abcdefghijklmnopqrst.supabase.co", port: 5432, kind: "direct" });
    expect(d.adminUsername).toBe("postgres");
  });

  it("is safe by default where it matters: nothing protected unless asked, kubernetes delivery, 30-day recovery", () => {
    expect(s.protect).toBe(false);
    expect(s.secretsDelivery).toBe("kubernetes");
    expect(s.secrets.recoveryWindowInDays).toBe(30);
    expect(s.db.publicSchema).toBe("no-create");
  });

  it("is deeply frozen", () => {
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.services[0].pool)).toBe(true);
  });
});

describe("parseSettings overrides", () => {
  it("applies a per-service pool override on top of the defaults, field by field", () => {
    const s = parse({ defaults: { pool: { max: 20 } }, services: { booking: { pool: { min: 5 } } } });
    const booking = s.services.find((x) => x.service.key === "booking")!;
    const auth = s.services.find((x) => x.service.key === "auth")!;
    expect(booking.pool).toEqual({ max: 20, min: 5, idleTimeoutMillis: 30000 });
    expect(auth.pool).toEqual({ max: 20, min: 2, idleTimeoutMillis: 30000 });
  });

  it("takes a migration command of several words, per stack or per service, and refuses an empty one or an empty word", () => {
    const s = parse({ defaults: { migrationCommand: ["node", "dist/migrate.js"] }, services: { booking: { migrationCommand: ["npx", "typeorm", "migration:run"] } } });
    expect(s.services.find((x) => x.service.key === "auth")!.migrationCommand).toEqual(["node", "dist/migrate.js"]);
    expect(s.services.find((x) => x.service.key === "booking")!.migrationCommand).toEqual(["npx", "typeorm", "migration:run"]);
    expect(() => parse({ defaults: { migrationCommand: [] } })).toThrow("defaults.migrationCommand");
    expect(() => parse({ defaults: { migrationCommand: ["npm", ""] } })).toThrow("defaults.migrationCommand.1");
  });

  it("applies per-service rotation overrides without touching the others", () => {
    const s = parse({ rotation: { active: "green", blue: "a" }, services: { payment: { rotation: { blue: "b" } } } });
    expect(s.services.find((x) => x.service.key === "payment")!.rotation).toEqual({ active: "green", blue: "b", green: "1", migrator: "1" });
    expect(s.services.find((x) => x.service.key === "auth")!.rotation).toEqual({ active: "green", blue: "a", green: "1", migrator: "1" });
  });

  it("drops disabled services and builds image names from registry and tag", () => {
    const s = parse({ services: { telematics: { enabled: false } } });
    expect(s.services.map((x) => x.service.key)).not.toContain("telematics");
    expect(s.services[0].image).toBe("ghcr.io/volteryde/auth:1.0.0");
  });

  it("sorts and de-duplicates cross-service reads", () => {
    const s = parse({ services: { booking: { readsFrom: ["users", "fleet", "users"] } } });
    expect(s.services.find((x) => x.service.key === "booking")!.readsFrom).toEqual(["fleet", "users"]);
  });

  it("reports with ConfigError and the list of problems", () => {
    try {
      parse({ services: { booking: { replicas: 0 } }, secretsDelivery: "x" });
      throw new Error("did not throw");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toHaveLength(2);
    }
  });
});

describe("workload settings: probes, network, spread, autoscaling", () => {
  const svc = (s: ReturnType<typeof parse>, key: string) => s.services.find((x) => x.service.key === key)!;

  it("defaults: NestJS Terminus probe routes, nobody may call a service, policies on with egress restricted, no spread", () => {
    const s = parse();
    expect(svc(s, "auth").probe).toEqual({
      port: 3000,
      livenessPath: "/health/liveness",
      readinessPath: "/health/readiness",
      startupPath: "/health/liveness",
      startupTimeoutSeconds: 120,
    });
    expect(svc(s, "auth").ingress).toEqual({ namespaces: [], services: [] });
    expect(svc(s, "auth").egress).toEqual([]);
    expect(s.kubernetes.networkPolicies).toEqual({
      enabled: true,
      restrictEgress: true,
      dns: { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: 53 },
      databaseCidrs: ["0.0.0.0/0", "::/0"],
      temporalCidrs: ["0.0.0.0/0", "::/0"],
    });
    expect(s.kubernetes.topologySpread).toEqual({ zones: "off", hosts: "off" });
    expect(s.temporal.probe).toEqual({ enabled: true, port: 8080, livenessPath: "/health/liveness", readinessPath: "/health/readiness", startupTimeoutSeconds: 120 });
  });

  it("merges ingress field by field; a default caller list may name every service (each skips itself)", () => {
    const s = parse({
      defaults: { ingress: { namespaces: ["ingress-nginx"], services: ["core", "booking", "core"] } },
      services: { booking: { ingress: { namespaces: [] } } },
    });
    expect(svc(s, "auth").ingress).toEqual({ namespaces: ["ingress-nginx"], services: ["booking", "core"] });
    expect(svc(s, "core").ingress).toEqual({ namespaces: ["ingress-nginx"], services: ["booking"] });
    expect(svc(s, "booking").ingress).toEqual({ namespaces: [], services: ["core"] });
  });

  it("reports a problem of the defaults once, not once per service", () => {
    try {
      parse({ services: { fleet: { enabled: false } }, defaults: { ingress: { services: ["fleet"] } } });
      throw new Error("did not throw");
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([
        expect.stringMatching(/^volteryde-infra:defaults\.ingress\.services: got "fleet"; must name an enabled service/),
      ]);
    }
  });

  it("autoscaling: replicas is the HPA's minimum, maxReplicas its maximum; fixed services count their replicas", () => {
    const s = parse({ defaults: { replicas: 3 }, services: { booking: { autoscaling: { minReplicas: 2, maxReplicas: 9 } } } });
    expect(svc(s, "booking")).toMatchObject({ replicas: 2, autoscaling: { minReplicas: 2, maxReplicas: 9, targetCPUUtilizationPercentage: 70 } });
    expect(maxReplicas(svc(s, "booking"))).toBe(9);
    expect(svc(s, "auth").autoscaling).toBeUndefined();
    expect(maxReplicas(svc(s, "auth"))).toBe(3);
  });

  it.each([
    ["ns.tmprl.cloud:7233", 7233],
    ["localhost:443", 443],
  ])("portOf(%s) = %d", (address, port) => {
    expect(portOf(address)).toBe(port);
  });
});

describe("supabase's connection limits", () => {
  const limitsOf = (supabase: Record<string, unknown>) => parse({ supabase: { ...MINIMAL.supabase, ...supabase } }).supabaseLimits;

  it.each([
    ["nano", 60, 200, 15],
    ["micro", 60, 200, 15],
    ["small", 90, 400, 15],
    ["medium", 120, 600, 15],
    ["large", 160, 800, 20],
    ["xl", 240, 1000, 20],
    ["2xl", 380, 1500, 25],
    ["4xl", 480, 3000, 32],
    ["8xl", 490, 6000, 64],
    ["12xl", 500, 9000, 96],
    ["16xl", 500, 12000, 128],
  ])("%s: max_connections %d, %d pooler clients, pool size %d", (compute, maxConnections, poolerMaxClients, poolSize) => {
    expect(limitsOf({ compute })).toMatchObject({ compute, maxConnections, poolerMaxClients, poolSize, maxPools: 50 });
  });

  it("defaults to micro, 3 superuser-reserved slots and 20 % (rounded up) for Supabase's services", () => {
    expect(limitsOf({})).toEqual({ compute: "micro", maxConnections: 60, poolSize: 15, poolerMaxClients: 200, maxPools: 50, reservedSuperuser: 3, reservedSupabaseServices: 12 });
    expect(limitsOf({ compute: "micro", maxConnections: 61 }).reservedSupabaseServices).toBe(13);
  });

  it("takes each override over the compute's default", () => {
    expect(limitsOf({ compute: "large", maxConnections: 200, pooler: { poolSize: 4, maxClients: 900 }, reserved: { superuser: 5, supabaseServices: 30 } })).toEqual({
      compute: "large",
      maxConnections: 200,
      poolSize: 4,
      poolerMaxClients: 900,
      maxPools: 50,
      reservedSuperuser: 5,
      reservedSupabaseServices: 30,
    });
  });

  it.each([
    [{ compute: "huge" }, 'volteryde-infra:supabase.compute: got "huge"; must be one of "nano", "micro", "small"'],
    [{ pooler: { poolSize: 0 } }, "volteryde-infra:supabase.pooler.poolSize: got 0"],
    [{ pooler: { size: 3 } }, 'volteryde-infra:supabase.pooler: got {"size":3}; unknown key(s) "size"'],
    [{ reserved: { supabaseServices: 57 } }, "volteryde-infra:supabase.reserved.supabaseServices: got {\"superuser\":3,\"supabaseServices\":57}; the reserves (3 superuser + 57 Supabase services) must leave connections below max_connections (60, compute micro)"],
  ])("refuses %j", (supabase, message) => {
    expect(() => limitsOf(supabase)).toThrow(ConfigError);
    expect(() => limitsOf(supabase)).toThrow(message);
  });

  it("keeps a service's hard cap, and only where it is set", () => {
    const s = parse({ services: { booking: { connectionLimit: 12 } } });
    expect(s.services.find((x) => x.service.key === "booking")!.connectionLimit).toBe(12);
    expect(s.services.find((x) => x.service.key === "auth")).not.toHaveProperty("connectionLimit");
    expect(() => parse({ services: { booking: { connectionLimit: 0 } } })).toThrow("volteryde-infra:services.booking.connectionLimit: got 0");
  });
});

/** The problems parseSettings reports for `extra`, or [] when it accepts it. */
function problems(extra: Record<string, unknown>): string[] {
  try {
    parse(extra);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [...err.problems];
  }
}

describe("mistakes that used to pass silently", () => {
  it.each([
    ["statement timeout 0", { database: { statementTimeoutMs: 0 } }, "volteryde-infra:database.statementTimeoutMs: got 0; must be between 1000 and 3600000 ms: 0 turns the timeout off"],
    ["idle timeout 0", { database: { idleInTransactionSessionTimeoutMs: 0 } }, "volteryde-infra:database.idleInTransactionSessionTimeoutMs: got 0; must be between 1000 and 3600000 ms"],
    ["image tag latest", { images: { registry: "ghcr.io/volteryde", tag: "latest" } }, 'volteryde-infra:images.tag: got "latest"; must name a release, not "latest"'],
    ["namespace default", { kubernetes: { namespace: "default" } }, "volteryde-infra:kubernetes.namespace: got \"default\"; must not be one of the cluster's own namespaces (default, kube-system, kube-public, kube-node-lease)"],
    ["namespace kube-system", { kubernetes: { namespace: "kube-system" } }, "volteryde-infra:kubernetes.namespace: got \"kube-system\""],
    [
      "cpu request above the limit",
      { services: { booking: { resources: { cpuRequest: "1" } } } },
      'volteryde-infra:services.booking.resources.cpuRequest: got "1"; cpuRequest (1) must not exceed cpuLimit (500m)',
    ],
    [
      "memory limit below the default request",
      { defaults: { resources: { memoryLimit: "128Mi" } } },
      'volteryde-infra:defaults.resources.memoryLimit: got "128Mi"; memoryRequest (256Mi) must not exceed memoryLimit (128Mi)',
    ],
    [
      "JWT_SECRET for a disabled service",
      { secrets: { jwtServices: ["auth", "users"] }, services: { users: { enabled: false } } },
      'volteryde-infra:secrets.jwtServices: got "users"; must name an enabled service (auth, client-auth, payment,',
    ],
  ])("%s is refused with the key and what is allowed", (_what, extra, message) => {
    expect(problems(extra)).toEqual([expect.stringContaining(message)]);
  });

  it("accepts what is legitimate next to them: 1 s timeouts, a request equal to its limit, a default JWT list naming a disabled service", () => {
    expect(problems({ database: { statementTimeoutMs: 1000 }, defaults: { resources: { cpuRequest: "0.5", cpuLimit: "500m" } } })).toEqual([]);
    expect(problems({ services: { auth: { enabled: false } } })).toEqual([]);
  });
});

describe("messages a person can act on", () => {
  it("names a missing key as missing, without the parser's wording", () => {
    expect(problems({ images: { registry: "ghcr.io/volteryde" } })).toEqual([
      'volteryde-infra:images.tag: missing; this key is required (string), see "Configuration reference" in README.md',
    ]);
  });

  it("tells to quote a tag that YAML read as a number", () => {
    expect(problems({ images: { registry: "ghcr.io/volteryde", tag: 1.14 } })).toEqual([
      'volteryde-infra:images.tag: got 1.14; must be a string: quote it in the YAML, e.g. "1.14" (unquoted it is a number, and 1.10 would read as 1.1)',
    ]);
  });

  it("says 0 or 7..30 for a recovery window", () => {
    expect(problems({ secrets: { recoveryWindowInDays: 3 } })).toEqual(["volteryde-infra:secrets.recoveryWindowInDays: got 3; must be 0 (delete at once) or 7..30 days (what Secrets Manager accepts)"]);
  });

  it("blames the pool key the user set, once, not a default it never wrote", () => {
    expect(problems({ defaults: { pool: { max: 1 } } })).toEqual(["volteryde-infra:defaults.pool.max: got 1; must be at least pool min (2, the default unless set)"]);
    expect(problems({ services: { payment: { pool: { max: 1 } } } })).toEqual(["volteryde-infra:services.payment.pool.max: got 1; must be at least pool min (2, the default unless set)"]);
  });

  it("shows what the user wrote in a cycle, and one error for a self-read", () => {
    expect(problems({ services: { booking: { readsFrom: ["users"] }, users: { readsFrom: ["booking"] } } })).toEqual([
      expect.stringMatching(/^volteryde-infra:services\.(users|booking)\.readsFrom: got \["(booking|users)"\]; cross-service reads must not form a cycle/),
    ]);
    expect(problems({ services: { booking: { readsFrom: ["booking"] } } })).toEqual([
      'volteryde-infra:services.booking.readsFrom: got "booking"; a service already reads its own schema; list other services',
    ]);
  });

  it("never lists an empty set of enabled services", () => {
    const off = Object.fromEntries(SERVICE_KEYS.map((k) => [k, { enabled: false }]));
    const found = problems({ services: off, temporal: { ...MINIMAL.temporal, services: ["booking"] } });
    expect(found.join("\n")).not.toContain("()");
    expect(found).toContain('volteryde-infra:temporal.services: got "booking"; must name an enabled service (none is enabled)');
  });
});
