// Realtime as the apps use it: supabase-js clients on the project URL, and what they receive.
//
// pytest runs every realtime suite twice, with ZORA_API's `vsn` set to
// "1.0.0" and to "2.0.0" (supabase-js's default), against the project URL's
// server (zora_db.api.server) in front of a fresh copy of the demo database.
import { createHmac } from "node:crypto"
import { createClient } from "@supabase/supabase-js"
import WebSocket from "ws"
import { env } from "./harness.mjs"

export const vsn = env.vsn ?? "2.0.0"
const clients = []

/** A client signed in as `who` (or with `token`), its Realtime on `vsn`. */
export function live(who, { token } = {}) {
  const key = env.anonKey
  let current = token ?? (who === "anon" ? key : who === "service" ? env.serviceKey : env.tokens[who])
  const client = createClient(env.url, key, {
    accessToken: async () => current,
    realtime: { transport: WebSocket, vsn, heartbeatIntervalMs: 5000 },
  })
  client.useToken = (next) => { current = next }
  clients.push(client)
  return client
}

/** Every client's channels removed and sockets closed: the suite's end. */
export async function closeAll() {
  for (const client of clients.splice(0)) {
    await client.removeAllChannels()
    client.realtime.disconnect()
  }
}

/** An HS256 token with `claims`, signed with `secret` (the project's unless forged). */
export function sign(claims, secret = env.secret) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url")
  const head = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`
  return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`
}

/** What a channel received, in order, and a way to wait for what it has not yet. */
export class Inbox {
  constructor() { this.items = []; this.waiters = [] }
  push = (item) => {
    this.items.push(item)
    for (const waiter of [...this.waiters]) waiter()
  }
  /** The first item matching `match`; fails after `ms` naming what did arrive. */
  until(match, what, ms = 10000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.items.find(match)
        if (found === undefined) return false
        this.waiters = this.waiters.filter((w) => w !== check)
        clearTimeout(timer)
        resolve(found)
        return true
      }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check)
        reject(new Error(`no ${what} within ${ms} ms; received ${JSON.stringify(this.items)}`))
      }, ms)
      if (!check()) this.waiters.push(check)
    })
  }
}

/**
 * Subscribe and wait as an app should: SUBSCRIBED, then, for postgres_changes, the
 * server's "Subscribed to PostgreSQL" (changes before it are not delivered).
 * Resolves with the channel; rejects with the server's words on CHANNEL_ERROR.
 */
export async function joined(channel, { changes = false } = {}) {
  // The token the join carries: supabase-js sets it from `accessToken` without waiting.
  await channel.socket.setAuth()
  return new Promise((resolve, reject) => {
    let ready = !changes
    let subscribed = false
    const settle = () => { if (ready && subscribed) resolve(channel) }
    if (changes) {
      channel.on("system", {}, (message) => {
        if (message.extension !== "postgres_changes") return
        if (message.status === "ok") { ready = true; settle() } else reject(new Error(message.message))
      })
    }
    channel.subscribe((status, err) => {
      if (status === "SUBSCRIBED") { subscribed = true; settle() }
      else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") {
        reject(err ?? new Error(status))
      }
    })
  })
}

/** A channel of `client` listening to `binding`s (postgres_changes), every payload kept. */
export async function watch(client, name, ...bindings) {
  const inbox = new Inbox()
  const channel = client.channel(name)
  for (const binding of bindings) {
    channel.on("postgres_changes", { schema: "public", event: "*", ...binding }, inbox.push)
  }
  await joined(channel, { changes: true })
  inbox.channel = channel
  return inbox
}
