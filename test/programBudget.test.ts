/**
 * The connection budget through the real program: the committed stacks fit, a stack over budget
 * is refused before any registration, and the graph declares what the budget counted.
 */
import { ConfigError } from "../components/config/configSchema";
import { Capture, CapturedResource, reveal } from "../tools/capture";
import { recordedBudget } from "../tools/budget";
import { captureStack } from "../tools/run";
import { rawConfig, supabaseWith } from "./fixtures";

const ROLE = "postgresql:index/role:Role";
const captures: Record<string, Capture> = {};
beforeAll(async () => {
  captures.dev = await captureStack("dev");
  captures.prod = await captureStack("prod");
});

const plain = (r: CapturedResource) => reveal(r.inputs) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Runs the stack with overrides; returns the error and how many resources were registered. */
async function refused(stack: string, overrides: Record<string, unknown>): Promise<{ error: ConfigError; registered: number }> {
  const sink: CapturedResource[] = [];
  const error = await captureStack(stack, { overrides, sink }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return { error, registered: sink.length };
}

describe("the committed stacks declare compute sizes they fit", () => {
  it("dev: Small at pool size 1, 63 of 69 server connections, 32 of 50 pools, 251 of 400 clients", () => {
    const b = recordedBudget(captures.dev);
    expect(b.limits).toMatchObject({ compute: "small", maxConnections: 90, poolSize: 1, poolerMaxClients: 400 });
    expect(b.totals).toEqual({ available: 69, serverSteady: 43, serverPeak: 63, pools: 32, clients: 251 });
  });

  it("prod: XL at pool size 5, 160 of 189 server connections, 32 of 50 pools, 604 of 1000 clients", () => {
    const b = recordedBudget(captures.prod);
    expect(b.limits).toMatchObject({ compute: "xl", maxConnections: 240, poolSize: 5, poolerMaxClients: 1000 });
    expect(b.totals).toEqual({ available: 189, serverSteady: 100, serverPeak: 160, pools: 32, clients: 604 });
  });
});

describe("a stack over budget is refused before any resource registers", () => {
  it("dev fits Small and fails on Micro, with the numbers and the ways out", async () => {
    const { error, registered } = await refused("dev", { supabase: supabaseWith("dev", { compute: "micro" }) });
    expect(registered).toBe(0);
    expect(error.problems).toHaveLength(2);
    expect(error.problems[0]).toContain('volteryde-infra:supabase.compute: got "micro"; the stack may hold 63 server connections but micro leaves 45 to our roles');
    expect(error.problems[0]).toContain("(max_connections 60 - 3 superuser-reserved - 12 for Supabase's services)");
    expect(error.problems[0]).toContain("It fits with one runtime user per service (43), but a flip of rotation.active");
    expect(error.problems[0]).toContain("a larger compute (volteryde-infra:supabase.compute: small fits at pool size 1)");
    expect(error.problems[1]).toContain("the stack may open 251 client connections to the pooler");
    expect(error.problems[1]).toContain("but the pooler accepts 200");
    expect(error.problems[1]).toContain("volteryde-infra:supabase.compute: small allows 400");
  });

  it("refuses replicas 100 with pool max 100 (the pooler's clients), which used to plan without complaint", async () => {
    const defaults = { ...(rawConfig("dev").defaults as Record<string, unknown>), replicas: 100, pool: { max: 100, min: 2 } };
    const { error, registered } = await refused("dev", { defaults });
    expect(registered).toBe(0);
    // 10 services x (100 + 1) x 100, workers 2 x (100 + 100), migrators 10 x 1, provider 1.
    expect(error.message).toContain("the stack may open 101411 client connections to the pooler");
    expect(error.message).toContain("but the pooler accepts 400");
  });

  it("refuses prod at the dashboard's default pool size for XL (20)", async () => {
    const supabase = { ...(rawConfig("prod").supabase as Record<string, unknown>), pooler: {} };
    const { error, registered } = await refused("prod", { supabase });
    expect(registered).toBe(0);
    // 20 runtime pools x 21 + 10 migrators x 3 + provider 4 + Storage 21 = 475.
    expect(error.message).toContain("the stack may hold 475 server connections but xl leaves 189 to our roles");
    expect(error.message).toContain("set the pooler's pool size to 6 in the dashboard");
  });
});

describe.each(["dev", "prod"])("%s: the graph declares what the budget counts", (stack) => {
  it("every login role is one of the budget's pools, with the budget's CONNECTION LIMIT", () => {
    const c = captures[stack];
    const logins = c.resources.filter((r) => r.type === ROLE && plain(r).login === true);
    const poolSize = recordedBudget(c).limits.poolSize;
    const perKind = recordedBudget(c).rows;
    const runtime = logins.filter((r) => /_app_(blue|green)$/.test(plain(r).name));
    const migrators = logins.filter((r) => /_migrator$/.test(plain(r).name));
    expect(runtime.length + migrators.length).toBe(logins.length);
    expect(runtime.length).toBe(perKind.filter((r) => r.what.includes("runtime users")).reduce((n, r) => n + r.pools, 0));
    expect(migrators.length).toBe(perKind.find((r) => r.what === "migrators")!.pools);
    for (const r of runtime) expect(plain(r).connectionLimit).toBe(poolSize + 1 + 5);
    for (const r of migrators) expect(plain(r).connectionLimit).toBe(3);
  });

  it("the provider opens no more than the session pooler admits for its role", () => {
    const c = captures[stack];
    const provider = c.resources.find((r) => r.type === "pulumi:providers:postgresql")!;
    const row = recordedBudget(c).rows.find((r) => r.what === "PostgreSQL provider")!;
    expect(Number(plain(provider).maxConnections)).toBe(row.clients);
    expect(row.clients).toBe(stack === "dev" ? 1 : 4);
  });

  it("the surge the budget counts is the Deployments' maxSurge", () => {
    for (const d of captures[stack].resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment")) {
      expect(plain(d).spec.strategy.rollingUpdate.maxSurge).toBe(1);
    }
  });
});

it("a hard cap becomes the runtime logins' CONNECTION LIMIT and lowers the pools' ceiling", async () => {
  // auth in dev: (1 pod + 1 surge) x pool max 10 = 20 clients, pool of up to 2: a cap of 2 is safe.
  const services = { ...(rawConfig("dev").services as Record<string, unknown>), auth: { connectionLimit: 2 } };
  const c = await captureStack("dev", { overrides: { services } });
  const limits = c.resources.filter((r) => r.type === ROLE && /^svc_auth_/.test(plain(r).name) && plain(r).login).map((r) => [plain(r).name, plain(r).connectionLimit]);
  expect(limits.sort()).toEqual([
    ["svc_auth_app_blue", 2],
    ["svc_auth_app_green", 2],
    ["svc_auth_migrator", 3],
  ]);
  const { error } = await refused("dev", { services: { ...services, auth: { connectionLimit: 1 } } });
  expect(error.message).toContain("volteryde-infra:services.auth.connectionLimit: got 1; each runtime login of auth may need 2 server connections");
});
