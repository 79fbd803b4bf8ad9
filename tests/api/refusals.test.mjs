// What the access rules refuse, as the apps see it: HTTP status and PostgreSQL's code.
import assert from "node:assert/strict"
import { test } from "node:test"
import { as, ids } from "./harness.mjs"

async function refused(call, status, code) {
  const { error, status: got } = await call
  assert.ok(error, `expected HTTP ${status} ${code}, the call succeeded`)
  assert.deepEqual([got, error.code], [status, code], error.message)
}

test("anon reads the storefront and nothing private", async () => {
  const anon = as("anon")
  await refused(anon.from("orders").select("*"), 401, "42501")
  await refused(anon.from("profiles").select("email"), 401, "42501")
  await refused(anon.from("cart_items").insert({ product_id: ids.bun, quantity: 1 }), 401, "42501")
  await refused(anon.rpc("create_order", { vendor_id: ids.camden, items: [] }), 401, "42501")
  await refused(anon.from("system_config").select("*"), 401, "42501")
})

test("a customer cannot forge money, statuses or other people's rows", async () => {
  const alice = as("alice")
  await refused(alice.from("orders").update({ total: 1 }).eq("id", ids.aliceShoreditchOrder),
    400, "428C9")
  await refused(alice.from("orders").update({ subtotal: 1 }).eq("id", ids.aliceShoreditchOrder),
    403, "42501")
  await refused(alice.from("orders").update({ status: "delivered" })
    .eq("id", ids.aliceShoreditchOrder), 400, "ZA001")
  await refused(alice.from("notifications").insert(
    { user_id: ids.bob, type: "system", title: "Fake" }), 403, "42501")
  await refused(alice.from("profiles").update({ role: "admin" }).eq("id", ids.alice),
    403, "42501")
  await refused(alice.rpc("broadcast_event", { channel: "x", event: "e", payload: {} }),
    403, "42501")
  const others = await alice.from("orders").select("id").eq("user_id", ids.bob)
  assert.deepEqual(others.data, [])
})

test("a vendor cannot verify its own shop or order from a closed one", async () => {
  await refused(as("camden").from("vendors").update({ is_verified: false }).eq("id", ids.camden),
    403, "42501")
  await refused(as("alice").rpc("create_order",
    { vendor_id: ids.pendingPantry, items: [{ product_id: ids.jam, quantity: 1 }] }),
    400, "ZA005")
})

test("a replayed create_order with the same key places one order", async () => {
  const alice = as("alice")
  const args = {
    vendor_id: ids.camden,
    items: [{ product_id: ids.bun, quantity: 1 }],
    idempotency_key: "7a0e3c1e-5b7e-4d7a-9c55-0f1a2b3c4d5e",
  }
  const first = await alice.rpc("create_order", args)
  const replay = await alice.rpc("create_order", args)  // the app lost the first response
  assert.equal(first.error, null)
  assert.equal(replay.data.id, first.data.id)
  const count = await alice.from("orders").select("id").eq("user_id", ids.alice)
  assert.equal(count.data.length, 3)
  await refused(alice.rpc("create_order",
    { ...args, items: [{ product_id: ids.bun, quantity: 2 }] }), 400, "ZA008")
})
