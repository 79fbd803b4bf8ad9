// The apps' view of the API: supabase-js clients per person of the demo data.
//
// pytest starts PostgREST (behind /rest/v1) on a fresh copy of the demo
// database and passes, in ZORA_API, the project URL, the anon and service
// keys, a token per person and the seed's ids. Every response a test wants
// checked against types/database.types.ts is recorded with `record`.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { createClient } from "@supabase/supabase-js"
import WebSocket from "ws"

export const env = JSON.parse(process.env.ZORA_API)
export const ids = env.ids

/** A client as the app makes it: the anon key, and the user's token once signed in. */
export function as(who) {
  const key = who === "service" ? env.serviceKey : env.anonKey
  const token = who === "anon" || who === "service" ? key : env.tokens[who]
  return createClient(env.url, key, {
    global: { headers: { Authorization: `Bearer ${token}` } },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket },
  })
}

let recorded = 0
/** Keep a response for the type check: `query` names its entry in tests/api/queries.json. */
export function record(query, data) {
  recorded += 1
  writeFileSync(join(env.shapes, `${query}.${recorded}.json`), JSON.stringify(data))
  return data
}

/** The data of a call that must succeed; fails the test with PostgREST's error otherwise. */
export function ok({ data, error, status }) {
  if (error) throw new Error(`HTTP ${status}: ${error.code} ${error.message}`)
  return data
}
