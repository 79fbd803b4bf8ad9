// A customer's app keeping her orders: catch-up, then Realtime, then catch-up again after a gap.
//
// Driven line by line by a Python test or benchmark (stdout, one JSON object a line):
//   {"ready": …}      the replica is loaded and the subscription is live;
//   {"converged": t, "held": {id: [version, notes]}}  after the socket came
//                     back on its own and rejoined, the replica caught up
//                     through sync_changes and equals what the API lists
//                     now; t is the epoch in ms.
// The app does what the README says: apply events as they come, and on every
// (re)subscription, once "Subscribed to PostgreSQL" arrives, catch up from
// the last cursor, so that nothing committed in the gap is lost.
import { ids, ok } from "./harness.mjs"
import { live } from "./realtime.mjs"

const alice = live("alice")
const rows = new Map()
let cursor = null
let subscriptions = 0

const say = (line) => process.stdout.write(JSON.stringify(line) + "\n")

function apply(id, version, row) {
  const held = rows.get(id)
  if (held && held.version > version) return  // an older image than the one held
  if (row) rows.set(id, row)
  else rows.delete(id)
}

async function catchUp() {
  for (;;) {
    const page = ok(await alice.rpc("sync_changes",
      { p_table: "orders", p_filter: `user_id=eq.${ids.alice}`, p_cursor: cursor }))
    if (page.reset) { rows.clear(); cursor = null; continue }
    for (const c of page.changes) apply(c.id, c.version, c.op === "upsert" ? c.row : null)
    cursor = page.cursor
    if (!page.more) return
  }
}

async function converged() {
  const listed = ok(await alice.from("orders").select("id, status, version").eq("user_id", ids.alice))
  return listed.length === rows.size
    && listed.every((o) => rows.get(o.id)?.version === o.version && rows.get(o.id)?.status === o.status)
}

await catchUp()
const channel = alice.channel("my-orders")
channel.on("postgres_changes",
  { event: "*", schema: "public", table: "orders", filter: `user_id=eq.${ids.alice}` },
  (p) => (p.eventType === "DELETE" ? apply(p.old.id, Infinity, null) : apply(p.new.id, p.new.version, p.new)))
channel.on("system", {}, async (message) => {
  if (message.extension !== "postgres_changes" || message.status !== "ok") return
  subscriptions += 1
  await catchUp()
  if (subscriptions === 1) {
    say({ ready: rows.size })
    return
  }
  while (!(await converged())) await catchUp()
  say({ converged: Date.now(), held: Object.fromEntries([...rows].map(([id, r]) => [id, [r.version, r.notes]])) })
  await alice.removeAllChannels()
  alice.realtime.disconnect()
  process.exit(0)
})
await alice.realtime.setAuth()
channel.subscribe()
setTimeout(() => { say({ error: "no recovery within 60 s" }); process.exit(1) }, 60000)
