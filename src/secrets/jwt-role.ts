/**
 * The `role` claim of a JWT-shaped value, read without verifying the signature. Supabase's legacy
 * keys are JWTs: `anon` is public by design (guarded by row-level security), `service_role` is a
 * secret, and the shape alone cannot tell them apart.
 */
const JWT_SHAPE = /^eyJ[\w-]+\.(eyJ[\w-]+)\.[\w-]*$/

export function jwtRole(value: string): string | undefined {
  const payload = JWT_SHAPE.exec(value)?.[1]
  if (payload === undefined) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    if (claims !== null && typeof claims === 'object' && typeof (claims as {role?: unknown}).role === 'string') {
      return (claims as {role: string}).role
    }
  } catch {
    // not JSON: not a JWT after all
  }
  return undefined
}

/** Roles whose tokens are meant to ship to browsers. */
export function isPublicJwtRole(role: string | undefined): boolean {
  return role === 'anon'
}
