/**
 * Zero-downtime rotation with alternating users, walked through config the
 * way an operator does it, for both stacks in both delivery modes:
 *
 *   step 0  the stack's config
 *   step 1  bump the rotation value of one service's IDLE user: only that password (and the role
 *           that carries it) changes; no secret value any pod reads changes
 *   step 2  flip that service's `active` to it: no password changes; its app secret in Secrets
 *           Manager and its Kubernetes Secret (or ExternalSecret) now carry the user rotated in
 *           step 1, while the previously active user keeps its password so its connections drain
 *
 * Nothing of any other service changes at any step. Then the README's routine (global rotation
 * values), and the migrator and JWT_SECRET, which rotate with a plain keeper in one step.
 * Deployments are left to the workloads' tests: here only what the credentials own (resources under a
 * credentials or database component) is compared.
 */
import { Settings } from "../../../components/config/configSchema";
import { Capture, CapturedResource, reveal } from "../../../tools/capture";
import {
  AWS_VERSION,
  CASES,
  Case,
  EXTERNAL_SECRET,
  K8S_SECRET,
  RANDOM,
  ROLE,
  RuntimeSlot,
  awsVersionOf,
  byDeliveredName,
  captureCase,
  credentialsOrDatabase,
  label,
  otherUser,
  passwordOf,
  plain,
  rawConfig,
  rotationWith,
  secretJson,
  serviceRotationWith,
  settingsOf,
  changedResources,
} from "../../fixtures";

/** The service rotated in the per-service sequence. */
const ROTATED = "payment";
const BUMPED = "rotated-by-test";

const key = (r: CapturedResource) => `${r.type} ${r.name}`;
const roleResource = (c: Capture, roleName: string) => {
  const found = c.resources.filter((r) => r.type === ROLE && plain(r).name === roleName);
  expect(found).toHaveLength(1);
  return found[0];
};
const rolePassword = (c: Capture, roleName: string) => String(reveal(roleResource(c, roleName).inputs.password));
/** Names of the RandomPasswords whose result differs. */
const changedPasswords = (a: Capture, b: Capture) =>
  a.resources
    .filter((r) => r.type === RANDOM)
    .filter((r) => passwordOf(a, r.name) !== passwordOf(b, r.name))
    .map((r) => r.name)
    .sort();
/** The delivered object (v1 Secret or ExternalSecret) named `name` in the namespace. */
const deliveredObject = (c: Capture, mode: Case["mode"], name: string) => byDeliveredName(c, mode === "kubernetes" ? K8S_SECRET : EXTERNAL_SECRET).get(name)!;
/** What a pod ends up reading, per delivered Secret: the v1 Secret's data, or the AWS value the ExternalSecret copies. */
function podVisible(c: Capture, mode: Case["mode"]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [n, r] of byDeliveredName(c, mode === "kubernetes" ? K8S_SECRET : EXTERNAL_SECRET)) {
    if (!credentialsOrDatabase(r)) continue;
    if (mode === "kubernetes") {
      out[n] = reveal(r.inputs.stringData);
    } else {
      const keys = [...new Set((plain(r).spec.data as { remoteRef: { key: string } }[]).map((d) => d.remoteRef.key))];
      out[n] = keys.map((k) => {
        const secret = c.resources.find((x) => x.type === "aws:secretsmanager/secret:Secret" && plain(x).name === k)!;
        return secretJson(c, c.resources.find((x) => x.type === AWS_VERSION && x.inputs.secretId === secret.outputs.arn)!.name);
      });
    }
  }
  return out;
}

interface Sequence {
  readonly steps: [Capture, Capture, Capture];
  readonly settings: [Settings, Settings, Settings];
}

const perService = new Map<string, Sequence>();
const routine = new Map<string, Sequence>();
let keepers: { before: Capture; after: Capture } | undefined;

/** The README's routine runs on each stack in its own delivery mode. */
const ROUTINE_CASES = CASES.filter((c) => Object.keys(c.overrides).length === 0);
const KEEPER_CASE = ROUTINE_CASES.find((c) => c.stack === "dev")!;

function perServiceSteps(kase: Case) {
  const svc = settingsOf(kase.stack, kase.overrides).services.find((s) => s.service.key === ROTATED)!;
  const idle = otherUser(svc.rotation.active);
  return [{}, { services: serviceRotationWith(kase.stack, ROTATED, { [idle]: BUMPED }) }, { services: serviceRotationWith(kase.stack, ROTATED, { [idle]: BUMPED, active: idle }) }];
}
function routineSteps(kase: Case) {
  const idle = otherUser(settingsOf(kase.stack, kase.overrides).services[0].rotation.active);
  return [{}, { rotation: rotationWith(kase.stack, { [idle]: BUMPED }) }, { rotation: rotationWith(kase.stack, { [idle]: BUMPED, active: idle }) }];
}

beforeAll(async () => {
  // One at a time: the Pulumi runtime is global.
  for (const kase of CASES) {
    const steps = perServiceSteps(kase);
    const captured: Capture[] = [];
    for (const extra of steps) captured.push(await captureCase(kase, extra));
    perService.set(label(kase), {
      steps: captured as Sequence["steps"],
      settings: steps.map((extra) => settingsOf(kase.stack, { ...kase.overrides, ...extra })) as Sequence["settings"],
    });
  }
  for (const kase of ROUTINE_CASES) {
    const steps = routineSteps(kase);
    const base = perService.get(label(kase))!.steps[0];
    const captured = [base, await captureCase(kase, steps[1]), await captureCase(kase, steps[2])];
    routine.set(label(kase), {
      steps: captured as Sequence["steps"],
      settings: steps.map((extra) => settingsOf(kase.stack, { ...kase.overrides, ...extra })) as Sequence["settings"],
    });
  }
  keepers = {
    before: perService.get(label(KEEPER_CASE))!.steps[0],
    after: await captureCase(KEEPER_CASE, {
      rotation: rotationWith(KEEPER_CASE.stack, { migrator: BUMPED }),
      secrets: { ...(rawConfig(KEEPER_CASE.stack).secrets as object), jwtRotation: BUMPED },
    }),
  };
});

describe.each(CASES.map((c) => [label(c), c] as const))("%s: rotating one service's runtime user", (name, kase) => {
  const seq = () => perService.get(name)!;
  const before = settingsOf(kase.stack, kase.overrides).services.find((s) => s.service.key === ROTATED)!;
  const active: RuntimeSlot = before.rotation.active;
  const idle = otherUser(active);
  const schema = before.service.schema;
  const projectRef = settingsOf(kase.stack, kase.overrides).projectRef;

  it(`the steps are the routine: bump ${idle} (idle), then make it active`, () => {
    const [s0, s1, s2] = seq().settings.map((s) => s.services.find((x) => x.service.key === ROTATED)!.rotation);
    expect(s0[idle]).not.toBe(BUMPED);
    expect(s1).toEqual({ ...s0, [idle]: BUMPED });
    expect(s2).toEqual({ ...s1, active: idle });
    // Every other service keeps its rotation settings.
    const others = (s: Settings) => s.services.filter((x) => x.service.key !== ROTATED).map((x) => x.rotation);
    expect(others(seq().settings[1])).toEqual(others(seq().settings[0]));
    expect(others(seq().settings[2])).toEqual(others(seq().settings[0]));
  });

  it("step 1 regenerates exactly the idle user's password and sets it on exactly that role", () => {
    const [c0, c1] = seq().steps;
    expect(changedPasswords(c0, c1)).toEqual([`${ROTATED}-${idle}`]);
    expect(rolePassword(c1, `${schema}_app_${idle}`)).toBe(passwordOf(c1, `${ROTATED}-${idle}`));
    expect(changedResources(c0, c1, credentialsOrDatabase)).toEqual(
      [key(c1.resources.find((r) => r.type === RANDOM && r.name === `${ROTATED}-${idle}`)!), key(roleResource(c1, `${schema}_app_${idle}`))].sort(),
    );
  });

  it("step 1 changes no secret value any pod reads, nor any secret in Secrets Manager", () => {
    const [c0, c1] = seq().steps;
    expect(podVisible(c1, kase.mode)).toEqual(podVisible(c0, kase.mode));
    const versions = (c: Capture) => c.resources.filter((r) => r.type === AWS_VERSION).map((r) => [r.name, reveal(r.inputs.secretString)]);
    expect(versions(c1)).toEqual(versions(c0));
  });

  it("step 2 (flip) regenerates no password: the pods get the one rotated in step 1, already set on the role", () => {
    const [, c1, c2] = seq().steps;
    expect(changedPasswords(c1, c2)).toEqual([]);
    const app = secretJson(c2, `${ROTATED}-app-secret-version`);
    expect([app.username, app.password]).toEqual([`${schema}_app_${idle}.${projectRef}`, rolePassword(c1, `${schema}_app_${idle}`)]);
    expect(app.password).toBe(passwordOf(c1, `${ROTATED}-${idle}`));
  });

  it("step 2 changes exactly the service's app secret value and its delivered Secret, nothing of the migrator", () => {
    const [, c1, c2] = seq().steps;
    const delivered = deliveredObject(c2, kase.mode, `${ROTATED}-database`);
    expect(changedResources(c1, c2, credentialsOrDatabase)).toEqual([`${AWS_VERSION} ${ROTATED}-app-secret-version`, key(delivered)].sort());
    const before = podVisible(c1, kase.mode);
    const after = podVisible(c2, kase.mode);
    const changed = Object.keys(after).filter((n) => JSON.stringify(after[n]) !== JSON.stringify(before[n]));
    expect(changed).toEqual([`${ROTATED}-database`]);
  });

  if (kase.mode === "kubernetes") {
    it("step 2: the Secret keeps its name and now holds the rotated user and its password", () => {
      const [, c1, c2] = seq().steps;
      expect(reveal(deliveredObject(c1, kase.mode, `${ROTATED}-database`).inputs.stringData)).toEqual({
        DATABASE_USERNAME: `${schema}_app_${active}.${projectRef}`,
        DATABASE_PASSWORD: passwordOf(c1, `${ROTATED}-${active}`),
      });
      expect(reveal(deliveredObject(c2, kase.mode, `${ROTATED}-database`).inputs.stringData)).toEqual({
        DATABASE_USERNAME: `${schema}_app_${idle}.${projectRef}`,
        DATABASE_PASSWORD: passwordOf(c1, `${ROTATED}-${idle}`),
      });
    });
  } else {
    it("step 2: a new ExternalSecret, named after the new AWS version, reads the same AWS secret, so Pulumi waits until ESO wrote it", () => {
      const [, c1, c2] = seq().steps;
      const [r1, r2] = [c1, c2].map((c) => deliveredObject(c, kase.mode, `${ROTATED}-database`));
      const [e1, e2] = [r1, r2].map(plain);
      // Same resource (so the engine replaces it: metadata.name is force-new), new object name.
      expect(r2.urn).toBe(r1.urn);
      expect([e1.metadata.name, e2.metadata.name]).toEqual([`${ROTATED}-database-${awsVersionOf(c1, r1).slice(0, 8)}`, `${ROTATED}-database-${awsVersionOf(c2, r2).slice(0, 8)}`]);
      expect(e2.metadata.name).not.toBe(e1.metadata.name);
      expect({ ...e2.spec, target: undefined }).toEqual({ ...e1.spec, target: undefined });
      expect(e2.spec.target).toEqual({ name: e2.metadata.name, creationPolicy: "Owner" });
      expect({ ...e2.metadata, name: undefined, annotations: undefined }).toEqual({ ...e1.metadata, name: undefined, annotations: undefined });
      const changed = Object.keys(e2.metadata.annotations).filter((a) => e2.metadata.annotations[a] !== e1.metadata.annotations[a]);
      expect(changed.sort()).toEqual(["volteryde.io/aws-secret-version", "volteryde.io/login"]);
      const version = c2.resources.find((r) => r.type === AWS_VERSION && r.name === `${ROTATED}-app-secret-version`)!;
      expect(e2.metadata.annotations["volteryde.io/aws-secret-version"]).toBe(version.outputs.versionId);
      expect(e2.metadata.annotations["volteryde.io/login"]).toBe(`${schema}_app_${idle}.${projectRef}`);
      expect(e2.metadata.annotations["pulumi.com/waitFor"]).toBe("condition=Ready");
    });
  }

  it("the previously active user keeps its password throughout, so its open connections drain", () => {
    const [c0, c1, c2] = seq().steps;
    const passwords = [c0, c1, c2].map((c) => [passwordOf(c, `${ROTATED}-${active}`), rolePassword(c, `${schema}_app_${active}`)]);
    expect(passwords[1]).toEqual(passwords[0]);
    expect(passwords[2]).toEqual(passwords[0]);
    expect(plain(roleResource(c2, `${schema}_app_${active}`)).login).toBe(true);
  });

  it("no resource of another service changes at any step", () => {
    const [c0, c1, c2] = seq().steps;
    const owner = (c: Capture, k: string) => c.resources.find((r) => key(r) === k)?.parent ?? "";
    for (const [a, b] of [
      [c0, c1],
      [c1, c2],
      [c0, c2],
    ]) {
      const changed = changedResources(a, b, credentialsOrDatabase);
      expect(changed.length).toBeGreaterThan(0);
      for (const k of changed) expect({ k, component: owner(b, k).split("::").pop() }).toEqual({ k, component: ROTATED });
    }
  });

  it("the stack outputs name the new active user; the secrets' ARNs stay, and the Kubernetes Secret is renamed only under external-secrets", () => {
    const [c0, , c2] = seq().steps;
    type Secrets = Record<string, string>;
    const svc = (c: Capture) => (c.outputs.services as Record<string, { roles: { activeUser: string }; secrets: Secrets }>)[ROTATED];
    expect([svc(c0).roles.activeUser, svc(c2).roles.activeUser]).toEqual([`${schema}_app_${active}`, `${schema}_app_${idle}`]);
    const renamed = kase.mode === "external-secrets";
    expect({ ...svc(c2).secrets, kubernetesAppSecret: undefined }).toEqual({ ...svc(c0).secrets, kubernetesAppSecret: undefined });
    expect(svc(c2).secrets.kubernetesAppSecret === svc(c0).secrets.kubernetesAppSecret).toBe(!renamed);
    expect(svc(c2).secrets.kubernetesAppSecret).toBe(String(plain(deliveredObject(c2, kase.mode, `${ROTATED}-database`)).metadata.name));
  });
});

describe.each(ROUTINE_CASES.map((c) => [label(c), c] as const))("%s: the README's routine (global rotation values)", (name, kase) => {
  const seq = () => routine.get(name)!;
  const s0 = settingsOf(kase.stack, kase.overrides);
  const active = s0.services[0].rotation.active;
  const idle = otherUser(active);

  it(`every service is on ${active} in the stack file, so ${idle} is idle everywhere`, () => {
    expect(s0.services.map((s) => s.rotation.active)).toEqual(s0.services.map(() => active));
  });

  it(`1. rotation.${idle} bumped: every service's idle password changes, no secret value does`, () => {
    const [c0, c1] = seq().steps;
    expect(changedPasswords(c0, c1)).toEqual(s0.services.map((s) => `${s.service.key}-${idle}`).sort());
    expect(podVisible(c1, kase.mode)).toEqual(podVisible(c0, kase.mode));
    const changed = changedResources(c0, c1, credentialsOrDatabase);
    expect(changed.filter((k) => !k.startsWith(`${RANDOM} `) && !k.startsWith(`${ROLE} `))).toEqual([]);
  });

  it(`2. rotation.active ${idle}: no password changes; every service's app secret and delivered Secret do`, () => {
    const [, c1, c2] = seq().steps;
    expect(changedPasswords(c1, c2)).toEqual([]);
    const expected = s0.services.flatMap((s) => [
      `${AWS_VERSION} ${s.service.key}-app-secret-version`,
      key(deliveredObject(c2, kase.mode, `${s.service.key}-database`)),
    ]);
    expect(changedResources(c1, c2, credentialsOrDatabase)).toEqual(expected.sort());
    for (const s of s0.services) {
      expect(secretJson(c2, `${s.service.key}-app-secret-version`).password).toBe(passwordOf(c1, `${s.service.key}-${idle}`));
    }
  });
});

describe(`${label(KEEPER_CASE)}: the migrator and JWT_SECRET rotate in one step with their keepers`, () => {
  const settings = settingsOf(KEEPER_CASE.stack, KEEPER_CASE.overrides);

  it("rotation.migrator and secrets.jwtRotation bumped: exactly those passwords change", () => {
    expect(changedPasswords(keepers!.before, keepers!.after)).toEqual([...settings.services.map((s) => `${s.service.key}-migrator`), "platform-jwt-secret"].sort());
  });

  it("... and with them exactly the migrator roles, the migrator and JWT values and their delivered Secrets", () => {
    const { before, after } = keepers!;
    const expected = [
      ...settings.services.flatMap((s) => [
        `${RANDOM} ${s.service.key}-migrator`,
        key(roleResource(after, `${s.service.schema}_migrator`)),
        `${AWS_VERSION} ${s.service.key}-migrator-secret-version`,
        key(deliveredObject(after, KEEPER_CASE.mode, `${s.service.key}-database-migrator`)),
      ]),
      `${RANDOM} platform-jwt-secret`,
      `${AWS_VERSION} platform-jwt-secret-version`,
      key(deliveredObject(after, KEEPER_CASE.mode, "volteryde-jwt-secret")),
    ];
    expect(changedResources(before, after, credentialsOrDatabase)).toEqual(expected.sort());
    for (const s of settings.services) {
      expect(secretJson(after, `${s.service.key}-migrator-secret-version`).password).toBe(passwordOf(after, `${s.service.key}-migrator`));
    }
    expect(secretJson(after, "platform-jwt-secret-version")).toEqual({ JWT_SECRET: passwordOf(after, "platform-jwt-secret") });
  });
});
