// The signed-in user's token, kept per browser tab (sessionStorage), and its claims.

const KEY = "tenant-platform.token";

export function storedToken() {
  return sessionStorage.getItem(KEY);
}

export function storeToken(token) {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

// Reads the claims only to show who is signed in; the servers verify the signature.
export function claimsOf(token) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("This is not a JWT (expected three dot-separated parts).");
  let claims;
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    claims = JSON.parse(json);
  } catch {
    throw new Error("This token's claims cannot be read.");
  }
  if (typeof claims.sub !== "string" || !claims.sub) throw new Error("This token has no subject (sub).");
  return {
    sub: claims.sub,
    roles: Array.isArray(claims.roles) ? claims.roles.filter((r) => typeof r === "string") : [],
    exp: typeof claims.exp === "number" ? claims.exp : null,
  };
}

export function isExpired(claims, now = Date.now()) {
  return claims.exp !== null && claims.exp * 1000 <= now;
}
