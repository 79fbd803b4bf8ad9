// Catch-up through the API, as the apps call it: supabase.rpc('sync_changes', …) after a gap.
import assert from "node:assert/strict"
import { test } from "node:test"
import { as, ids, ok } from "./harness.mjs"

const alice = as("alice")
const bob = as("bob")
const camden = as("camden")
const admin = as("admin")
const anon = as("anon")

/** Every page from `cursor` on, applied as the README says; returns the replica and cursor. */
async function catchUp(client, table, filter, { rows = new Map(), cursor = null } = {}) {
  const named = []
  for (;;) {
    const page = ok(await client.rpc("sync_changes",
      { p_table: table, p_filter: filter, p_cursor: cursor, p_limit: 2 }))
    if (page.reset) { rows.clear(); cursor = null; continue }
    for (const change of page.changes) {
      named.push(change.id)
      const held = rows.get(change.id)
      if (held && held.version > change.version) continue
      if (change.op === "upsert") rows.set(change.id, change.row)
      else rows.delete(change.id)
    }
    cursor = page.cursor
    if (!page.more) return { rows, cursor, named }
  }
}

test("a customer resumes her orders and sees the shop's status change", async () => {
  const mine = `user_id=eq.${ids.alice}`
  const start = await catchUp(alice, "orders", mine)
  const listed = ok(await alice.from("orders").select("id, version").eq("user_id", ids.alice))
  assert.deepEqual([...start.rows.keys()].sort(), listed.map((o) => o.id).sort())
  const placed = ok(await alice.rpc("create_order", {
    vendor_id: ids.camden, items: [{ product_id: ids.sourdough, quantity: 1 }],
    address_id: ids.aliceAddress,
  }))
  ok(await camden.from("orders").update({ status: "confirmed" }).eq("id", placed.id))
  const resumed = await catchUp(alice, "orders", mine, start)
  const order = resumed.rows.get(placed.id)
  assert.equal(order.status, "confirmed")
  assert.ok(order.version > placed.version)
  assert.deepEqual([...new Set(resumed.named)], [placed.id])  // only what changed
})

test("two optimistic writers on one product: one wins, the other learns", async () => {
  const { version } = ok(await camden.from("products").select("version")
    .eq("id", ids.sourdough).single())
  const portal = ok(await camden.from("products").update({ price: 4.1 })
    .eq("id", ids.sourdough).eq("version", version).select())
  const dashboard = ok(await admin.from("products").update({ price: 9.9 })
    .eq("id", ids.sourdough).eq("version", version).select())
  assert.equal(portal.length, 1)
  assert.deepEqual(dashboard, [])
  const now = ok(await admin.from("products").select("price, version").eq("id", ids.sourdough).single())
  assert.equal(now.price, 4.1)
  assert.ok(now.version > version)
})

test("a product taken off sale leaves the storefront of every app", async () => {
  const start = await catchUp(anon, "products", null)
  assert.ok(start.rows.has(ids.bun))
  ok(await camden.from("products").update({ is_active: false }).eq("id", ids.bun))
  const resumed = await catchUp(anon, "products", null, start)
  assert.ok(!resumed.rows.has(ids.bun))
})

test("another customer's deleted cart line is never named", async () => {
  const start = await catchUp(bob, "cart_items", null)
  const line = ok(await alice.from("cart_items")
    .upsert({ user_id: ids.alice, product_id: ids.tomatoes, vendor_id: ids.shoreditch, quantity: 1 },
      { onConflict: "user_id,product_id" })
    .select("id").single())
  ok(await alice.from("cart_items").delete().eq("id", line.id))
  const resumed = await catchUp(bob, "cart_items", null, start)
  assert.ok(!resumed.named.includes(line.id))
})

test("a table outside the publication is refused with 400", async () => {
  const { error, status } = await alice.rpc("sync_changes", { p_table: "payments" })
  assert.equal(status, 400)
  assert.equal(error.code, "22023")
})
