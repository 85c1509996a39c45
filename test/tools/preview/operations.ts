/**
 * Every operation the README documents, as a change between two captures of the real program,
 * run through the change preview (tools/preview/change.ts) for one stack in both delivery modes.
 * `operations.<stack>.test.ts` call this, so the two stacks run in parallel jest workers.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Capture, capture } from "../../../tools/capture";
import { ChangePreview, previewChange } from "../../../tools/preview/change";
import { CASES, captureCase, label, rawConfig } from "../../fixtures";

type Stack = "dev" | "prod";
const errors = (p: ChangePreview) => p.findings.filter((f) => f.level === "error").map((f) => f.message);
const names = (p: ChangePreview, kind: string, type?: string) =>
  p.steps.filter((s) => s.kind === kind && (!type || s.type === type)).map((s) => s.name).sort();
const rolled = (p: ChangePreview) => p.rolls.map((r) => `${r.type} ${r.name}`).sort();
const SERVICES = ["auth", "booking", "charging", "client-auth", "core", "fleet", "notifications", "payment", "telematics", "users"];

export function operations(stack: Stack): void {
  const raw = rawConfig(stack);
  const active = (raw.rotation as { active: "blue" | "green" }).active;
  const idle = active === "blue" ? "green" : "blue";
  const retained = stack === "prod";

  describe.each(CASES.filter((c) => c.stack === stack).map((c) => [label(c), c] as const))("%s", (_name, kase) => {
    const eso = kase.mode === "external-secrets";
    let base: Capture;
    const after = (extra: Record<string, unknown>) => captureCase(kase, extra);
    const rotation = (fields: Record<string, string>) => ({ rotation: { ...(raw.rotation as object), ...fields } });
    beforeAll(async () => {
      base = await captureCase(kase);
    }, 60_000);

    it("first up from empty state: everything is created, nothing refused", () => {
      const p = previewChange(undefined, base);
      expect(errors(p)).toEqual([]);
      expect(p.counts).toEqual({ create: base.resources.length, update: 0, replace: 0, delete: 0, same: 0 });
      // Tags with dots get a hash of the real tag in the Job's name (naming.ts migrationJobName).
      const tag = stack === "dev" ? /^dev-2026-11-25-[0-9a-f]{8}$/ : /^v1-14-2-[0-9a-f]{8}$/;
      expect(rolled(p).filter((r) => r.startsWith("Deployment "))).toEqual([...SERVICES.map((s) => `Deployment ${s}`), "Deployment temporal-workers"].sort());
      const jobs = p.rolls.filter((r) => r.type === "Job");
      expect(jobs.map((r) => r.name.split("-migrate-")[0]).sort()).toEqual(SERVICES);
      for (const j of jobs) expect(j.name.split("-migrate-")[1]).toMatch(tag);
    });

    it("rotate the idle user: its password and role only; no pod rolls", async () => {
      const p = previewChange(base, await after(rotation({ [idle]: "2027-02" })));
      expect(errors(p)).toEqual([]);
      expect(names(p, "replace")).toEqual(SERVICES.map((s) => `${s}-${idle}`).sort());
      expect(names(p, "update")).toEqual(SERVICES.map((s) => `${s}-app-${idle}`).sort());
      expect([p.counts.create, p.counts.delete, p.rolls.length]).toEqual([0, 0, 0]);
    }, 60_000);

    it("flip: the app secrets change and exactly the services' pods (and the workers) roll, for the new user", async () => {
      const p = previewChange(base, await after(rotation({ active: idle })));
      expect(errors(p)).toEqual([]);
      expect(names(p, "replace", "aws:secretsmanager/secretVersion:SecretVersion")).toEqual(SERVICES.map((s) => `${s}-app-secret-version`).sort());
      expect(names(p, eso ? "replace" : "update", eso ? "kubernetes:external-secrets.io/v1:ExternalSecret" : "kubernetes:core/v1:Secret")).toEqual(SERVICES.map((s) => `${s}-app`).sort());
      expect(rolled(p)).toEqual([...SERVICES.map((s) => `Deployment ${s}`), "Deployment temporal-workers"].sort());
      const booking = p.rolls.find((r) => r.name === "booking")!;
      expect(booking.reasons.join("; ")).toContain(`DATABASE_USERNAME now svc_booking_app_${idle}`);
      expect(p.counts.delete).toBe(0);
    }, 60_000);

    it("a flip to a user rotated in the same up is refused by the preview", async () => {
      const p = previewChange(base, await after(rotation({ active: idle, [idle]: "2027-02" })));
      expect(errors(p)).toHaveLength(10);
      expect(errors(p)[0]).toMatch(/whose password changes in the same up/);
    }, 60_000);

    it("rotate the migrator: passwords, roles and migrator secrets; only the migration Jobs run again (external-secrets) or none (kubernetes)", async () => {
      const p = previewChange(base, await after(rotation({ migrator: "2027-02" })));
      expect(errors(p)).toEqual([]);
      expect(names(p, "update", "postgresql:index/role:Role")).toEqual(SERVICES.map((s) => `${s}-migrator`).sort());
      expect(rolled(p).filter((r) => r.startsWith("Deployment"))).toEqual([]);
      expect(rolled(p)).toHaveLength(eso ? 10 : 0);
    }, 60_000);

    it("rotate the migrator and ship a new tag in one up: each new Job reads the new migrator Secret, never the old value", async () => {
      const p = previewChange(base, await after({ ...rotation({ migrator: "2027-02" }), images: { ...(raw.images as object), tag: "v9.9.9" } }));
      expect(errors(p)).toEqual([]);
      const jobs = p.rolls.filter((r) => r.type === "Job");
      expect(jobs).toHaveLength(10);
      for (const j of jobs) {
        const key = j.name.split("-migrate-")[0];
        // external-secrets: a new ExternalSecret (awaited until ESO wrote it) that the new Job names;
        // kubernetes: the provider updates the Secret in place before the Job starts.
        if (eso) expect(j.reasons.join("; ")).toMatch(new RegExp(`reads Secret ${key}-database-migrator-[0-9a-f]{8} instead of ${key}-database-migrator-[0-9a-f]{8}: new DATABASE_PASSWORD`));
        else expect(j.reasons.join("; ")).toContain(`Secret ${key}-database-migrator changes DATABASE_PASSWORD`);
      }
    }, 60_000);

    it("rotate JWT_SECRET: its version is replaced (never refused) and only the token issuers' pods roll", async () => {
      const p = previewChange(base, await after({ secrets: { ...(raw.secrets as object), jwtRotation: "2027-02" } }));
      expect(errors(p)).toEqual([]);
      expect(names(p, "replace", "aws:secretsmanager/secretVersion:SecretVersion")).toEqual(["platform-jwt-secret-version"]);
      expect(rolled(p)).toEqual(["Deployment auth", "Deployment client-auth"]);
    }, 60_000);

    it("a new TEMPORAL_API_KEY: its version is replaced and only the workers roll", async () => {
      const p = previewChange(base, await after({ temporalApiKey: { secure: "v1:bmV3:a2V5" } }));
      expect(errors(p)).toEqual([]);
      expect(names(p, "replace", "aws:secretsmanager/secretVersion:SecretVersion")).toEqual(["platform-temporal-api-key-version"]);
      expect(rolled(p)).toEqual(["Deployment temporal-workers"]);
    }, 60_000);

    it("a new image tag: every migration Job is replaced (deleteBeforeReplace: the old one first) and every Deployment rolls to the new image", async () => {
      const p = previewChange(base, await after({ images: { ...(raw.images as object), tag: "v9.9.9" } }));
      expect(errors(p)).toEqual([]);
      const jobs = p.steps.filter((s) => s.type === "kubernetes:batch/v1:Job");
      expect(jobs.map((s) => [s.kind, s.deleteFirst, s.forceNew.includes("metadata.name")])).toEqual(SERVICES.map(() => ["replace", true, true]));
      expect(rolled(p)).toEqual([...SERVICES.flatMap((s) => [`Deployment ${s}`, `Job ${s}-migrate-v9-9-9-14db5e1e`]), "Deployment temporal-workers"].sort());
      expect(p.rolls.find((r) => r.name === "booking-migrate-v9-9-9-14db5e1e")!.reasons[0]).toBe("the Job is replaced and its migrations run again");
      expect(p.rolls.find((r) => r.name === "booking")!.reasons[0]).toMatch(/^image .*:.* -> .*booking:v9\.9\.9$/);
    }, 60_000);

    it(`disable a service and enable it again: ${retained ? "its data is retained" : "its schema is dropped with its tables"}, nothing refused`, async () => {
      const services = { ...(raw.services as object), notifications: { enabled: false } };
      const off = await after({ services });
      const p = previewChange(base, off);
      expect(errors(p)).toEqual([]);
      const deleted = p.steps.filter((s) => s.kind === "delete");
      expect(deleted.every((s) => s.urn.includes("notifications"))).toBe(true);
      expect(deleted.filter((s) => s.retained).map((s) => s.name).sort()).toEqual(
        retained ? ["notifications-app-secret", "notifications-app-secret-version", "notifications-migrator-secret", "notifications-migrator-secret-version", "notifications-owner", "notifications-schema"] : [],
      );
      expect(p.findings.filter((f) => f.level === "warning").map((f) => f.message)).toEqual(retained ? [] : ["notifications-schema: schema svc_notifications is dropped CASCADE, with every table in it"]);
      expect(p.counts.create).toBe(0);
      const back = previewChange(off, base);
      expect(errors(back)).toEqual([]);
      expect(back.counts.delete).toBe(0);
      expect(back.steps.filter((s) => s.kind === "create").every((s) => s.urn.includes("notifications"))).toBe(true);
    }, 60_000);

    it("add a service: only its own resources are created; what names every service's secrets updates", async () => {
      const without = await after({ services: { ...(raw.services as object), core: { enabled: false } } });
      const p = previewChange(without, base);
      expect(errors(p)).toEqual([]);
      expect(p.counts.delete + p.counts.replace).toBe(0);
      expect(p.steps.filter((s) => s.kind === "create" && !s.urn.includes("core"))).toEqual([]);
      // external-secrets: the store's IAM policy lists every service's secrets.
      expect(names(p, "update")).toEqual(eso ? ["external-secrets-policy"] : []);
    }, 60_000);
  });

  it("a component renamed with an alias: matched, nothing replaced or deleted", async () => {
    class Box extends pulumi.ComponentResource {
      constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("volteryde:test:Box", name, {}, opts);
        new random.RandomPassword(`${name}-pw`, { length: 40 }, { parent: this });
        this.registerOutputs({});
      }
    }
    const old = await capture({ stack, config: {}, program: () => (new Box("old"), {}) });
    const renamed = await capture({ stack, config: {}, program: () => (new Box("new", { aliases: [{ name: "old" }] }), {}) });
    const p = previewChange(old, renamed);
    expect(p.counts).toEqual({ create: 0, update: 2, replace: 0, delete: 0, same: 0 });
    expect(p.steps.map((s) => [s.name, s.aliased])).toEqual([
      ["new", true],
      ["new-pw", true],
    ]);
    const unaliased = previewChange(old, await capture({ stack, config: {}, program: () => (new Box("new"), {}) }));
    expect([unaliased.counts.create, unaliased.counts.delete]).toEqual([2, 2]);
  }, 60_000);

  it(`pulumi destroy: ${stack === "dev" ? "everything is deleted, schemas CASCADE, nothing refused" : "refused: the platform secrets are protected"}`, async () => {
    const c = await captureCase(CASES.find((k) => k.stack === stack)!);
    const p = previewChange(c, undefined);
    expect(p.counts.delete).toBe(c.resources.length);
    if (stack === "dev") {
      expect(errors(p)).toEqual([]);
      expect(p.steps.filter((s) => s.retained).map((s) => s.name)).toEqual(["database-public-schema"]);
    } else {
      expect(errors(p).sort()).toEqual([
        'refused: aws:secretsmanager/secret:Secret platform-jwt-secret would be deleted but is protected (the engine: "cannot be deleted because it is protected")',
        'refused: aws:secretsmanager/secret:Secret platform-temporal-api-key would be deleted but is protected (the engine: "cannot be deleted because it is protected")',
      ]);
    }
  }, 60_000);
}
