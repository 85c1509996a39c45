/**
 * Connection limits per login role, derived from config so a leaking pod cannot starve the
 * others. Pure; the numbers are documented in README "Connection budget".
 */
import { ServiceSettings, maxReplicas } from "../config/configSchema";

export interface ConnectionLimits {
  /** Per runtime login user (each of blue/green may carry the whole service during a flip). */
  readonly runtime: number;
  readonly migrator: number;
}

/**
 * Runtime: (service replicas + a surge pod + Temporal worker replicas that use this service's credentials)
 * x pool max, plus headroom for a rolling update's surge pod and ad-hoc checks. An autoscaled
 * service counts its HorizontalPodAutoscaler's maximum: that many pods may connect at once.
 */
export function connectionLimits(
  service: ServiceSettings,
  opts: { headroom: number; migratorLimit: number; temporalReplicas: number },
): ConnectionLimits {
  // +1: the surge pod of a rolling update (maxSurge 1) connects before an old pod leaves.
  const clients = maxReplicas(service) + 1 + opts.temporalReplicas;
  return Object.freeze({
    runtime: clients * service.pool.max + opts.headroom,
    migrator: opts.migratorLimit,
  });
}
