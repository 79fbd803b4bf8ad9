// The admin dashboard: verification, the whole platform, settings, announcements.
import assert from "node:assert/strict"
import { test } from "node:test"
import { as, ids, ok, record } from "./harness.mjs"

const admin = as("admin")

test("verifies a shop awaiting verification", async () => {
  const pending = record("pending_shops", ok(await admin.from("vendors").select("*")
    .eq("is_verified", false)))
  assert.deepEqual(pending.map((v) => v.shop_name), ["Pending Pantry"])
  ok(await admin.from("vendors").update({ is_verified: true }).eq("id", pending[0].id))
  const listed = ok(await as("anon").from("vendors").select("shop_name").eq("id", pending[0].id))
  assert.deepEqual(listed, [{ shop_name: "Pending Pantry" }])
})

test("sees every order and the platform's settings", async () => {
  const orders = ok(await admin.from("orders").select("id", { count: "exact" }))
  assert.equal(orders.length, 8)
  const settings = ok(await admin.from("system_config").select("key, value").order("key"))
  assert.ok(settings.some((s) => s.key === "orders.max_items"))
})

test("sends an announcement", async () => {
  ok(await admin.rpc("broadcast_event",
    { channel: "platform-announcements", event: "announcement", payload: { message: "Hi" } }))
})
