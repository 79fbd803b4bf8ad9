// Subscribers for the latency benchmark: `ZORA_SUBSCRIBERS` supabase-js clients (anon and
// three customers in turn), each on its own socket, each subscribed to one product's
// UPDATEs. Prints {"ready": n} once all are subscribed; on "done" from stdin, prints
// {"received": {stock_quantity: [epoch ms, ...]}} (the benchmark writes the sequence
// number into stock_quantity) and exits.
import { createInterface } from "node:readline"
import { ids } from "./harness.mjs"
import { closeAll, joined, live } from "./realtime.mjs"

const count = Number(process.env.ZORA_SUBSCRIBERS ?? 100)
const people = ["anon", "alice", "bob", "chloe"]
const received = {}
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n")

await Promise.all(Array.from({ length: count }, async (_, i) => {
  const channel = live(people[i % people.length]).channel(`catalogue-${i}`)
  channel.on("postgres_changes",
    { event: "UPDATE", schema: "public", table: "products", filter: `id=eq.${ids.sourdough}` },
    (p) => { (received[p.new.stock_quantity] ??= []).push(Date.now()) })
  await joined(channel, { changes: true })
}))
say({ ready: count })
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "done") break
}
say({ received })
await closeAll()
process.exit(0)
