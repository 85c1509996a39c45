import { SERVICES, SERVICE_KEYS, isServiceKey, serviceByKey } from "../../../components/config/catalogue";

// The guide's table ("Database-per-Domain Pattern"), written out once here as the oracle.
const GUIDE: [string, string][] = [
  ["Authentication", "svc_auth"],
  ["Client Auth", "svc_client_auth"],
  ["User Management", "svc_users"],
  ["Payment", "svc_payment"],
  ["Fleet Operations", "svc_fleet"],
  ["Charging", "svc_charging"],
  ["Booking", "svc_booking"],
  ["Telematics", "svc_telematics"],
  ["Core API", "svc_core"],
  ["Notifications", "svc_notifications"],
];

describe("service catalogue", () => {
  it("lists the guide's ten services with their schemas, in the guide's order", () => {
    expect(SERVICES.map((s) => [s.displayName, s.schema])).toEqual(GUIDE);
  });

  it("names the env var the guide's .env uses for each schema", () => {
    expect(SERVICES.map((s) => s.schemaEnvVar)).toEqual([
      "AUTH_DATABASE_SCHEMA",
      "CLIENT_AUTH_DATABASE_SCHEMA",
      "USERS_DATABASE_SCHEMA",
      "PAYMENT_DATABASE_SCHEMA",
      "FLEET_DATABASE_SCHEMA",
      "CHARGING_DATABASE_SCHEMA",
      "BOOKING_DATABASE_SCHEMA",
      "TELEMATICS_DATABASE_SCHEMA",
      "CORE_DATABASE_SCHEMA",
      "NOTIFICATIONS_DATABASE_SCHEMA",
    ]);
  });

  it("has unique keys, schemas and env vars that are valid identifiers and DNS labels", () => {
    for (const field of ["key", "schema", "schemaEnvVar"] as const) {
      expect(new Set(SERVICES.map((s) => s[field])).size).toBe(SERVICES.length);
    }
    for (const s of SERVICES) {
      expect(s.key).toMatch(/^[a-z][a-z0-9-]{0,30}$/);
      expect(s.schema).toMatch(/^svc_[a-z_]+$/);
      // The longest derived role name (svc_<x>_app_green) must fit PostgreSQL's 63-byte limit.
      expect(`${s.schema}_app_green`.length).toBeLessThanOrEqual(63);
    }
  });

  it("is frozen", () => {
    expect(Object.isFrozen(SERVICES)).toBe(true);
    expect(Object.isFrozen(SERVICES[0])).toBe(true);
  });

  it("looks services up by key and rejects unknown keys with the known ones listed", () => {
    expect(serviceByKey("client-auth").schema).toBe("svc_client_auth");
    expect(isServiceKey("booking")).toBe(true);
    expect(isServiceKey("svc_booking")).toBe(false);
    expect(() => serviceByKey("billing")).toThrow(`unknown service "billing"; known services: ${SERVICE_KEYS.join(", ")}`);
  });
});
