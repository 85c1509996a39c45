/**
 * The service catalogue: the ten microservices of the deployment guide ("Database-per-Domain
 * Pattern"). Every other module reads services from here; nothing else spells a schema name.
 */

export interface ServiceDefinition {
  /** Stable key, used in config (`services.<key>`), resource names and Kubernetes names. */
  readonly key: string;
  /** Human name from the guide's table. */
  readonly displayName: string;
  /** PostgreSQL schema that holds the service's tables. */
  readonly schema: string;
  /** Environment variable that carries the schema name in the shared ConfigMap. */
  readonly schemaEnvVar: string;
}

function service(key: string, displayName: string, envPrefix: string): ServiceDefinition {
  return Object.freeze({
    key,
    displayName,
    schema: `svc_${key.replace(/-/g, "_")}`,
    schemaEnvVar: `${envPrefix}_DATABASE_SCHEMA`,
  });
}

/** In the guide's order; the order is presentation only, never part of a resource name. */
export const SERVICES: readonly ServiceDefinition[] = Object.freeze([
  service("auth", "Authentication", "AUTH"),
  service("client-auth", "Client Auth", "CLIENT_AUTH"),
  service("users", "User Management", "USERS"),
  service("payment", "Payment", "PAYMENT"),
  service("fleet", "Fleet Operations", "FLEET"),
  service("charging", "Charging", "CHARGING"),
  service("booking", "Booking", "BOOKING"),
  service("telematics", "Telematics", "TELEMATICS"),
  service("core", "Core API", "CORE"),
  service("notifications", "Notifications", "NOTIFICATIONS"),
]);

export const SERVICE_KEYS: readonly string[] = Object.freeze(SERVICES.map((s) => s.key));

const byKey = new Map(SERVICES.map((s) => [s.key, s]));

/** The service with this key; throws for a key the catalogue does not know. */
export function serviceByKey(key: string): ServiceDefinition {
  const found = byKey.get(key);
  if (!found) {
    throw new Error(`unknown service "${key}"; known services: ${SERVICE_KEYS.join(", ")}`);
  }
  return found;
}

export function isServiceKey(key: string): boolean {
  return byKey.has(key);
}
