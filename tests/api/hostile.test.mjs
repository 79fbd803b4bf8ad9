// A hostile client against the API: each attack is one row, and each checks the
// database afterwards (as the service role), not only the answer.
import assert from "node:assert/strict"
import { createHmac } from "node:crypto"
import { test } from "node:test"
import { createClient } from "@supabase/supabase-js"
import WebSocket from "ws"
import { as, env, ids, ok } from "./harness.mjs"

const service = as("service")
const b64 = (data) => Buffer.from(JSON.stringify(data)).toString("base64url")

/** A JWT signed with `secret` (or unsigned with alg none): what an attacker can make. */
function forge(claims, secret) {
  const header = b64({ alg: secret ? "HS256" : "none", typ: "JWT" })
  const body = b64({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims })
  const signature = secret
    ? createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url") : ""
  return `${header}.${body}.${signature}`
}

function withToken(token) {
  return createClient(env.url, env.anonKey, {
    global: { headers: { Authorization: `Bearer ${token}` } },
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket },
  })
}

const count = async (table, column, value) =>
  ok(await service.from(table).select("id").eq(column, value)).length
const one = async (table, id, columns) =>
  ok(await service.from(table).select(columns).eq("id", id).single())
const aliceDelivered = async () => ok(await service.from("orders").select("id")
  .eq("user_id", ids.alice).eq("status", "delivered").limit(1).single()).id

// [name, attack(): {error, status, data}, expected, check()]; expected is "nothing" (no row
// reached) or the refusal {status, code} and what it must not reveal (hides)
const ATTACKS = [
  ["a vendor prices a product at NaN",
    () => as("camden").from("products").update({ price: "NaN" }).eq("id", ids.bun),
    { status: 400, code: "23514" },
    async () => assert.equal((await one("products", ids.bun, "price")).price, 2.8)],
  ["a vendor sets its delivery fee to NaN",
    () => as("camden").from("vendors").update({ delivery_fee: "NaN" }).eq("id", ids.camden),
    { status: 400, code: "23514" },
    async () => assert.equal((await one("vendors", ids.camden, "delivery_fee")).delivery_fee, 2.5)],
  ["an order of 51 items",
    () => as("alice").rpc("create_order", { vendor_id: ids.camden,
      items: Array.from({ length: 51 }, () => ({ product_id: ids.bun, quantity: 1 })) }),
    { status: 400, code: "ZA010" },
    async () => assert.equal(await count("orders", "user_id", ids.alice), 2)],
  ["a quantity that overflows",
    () => as("alice").rpc("create_order", { vendor_id: ids.camden,
      items: [{ product_id: ids.bun, quantity: 1e12 }] }),
    { status: 400, code: "22003" },
    async () => assert.equal(await count("orders", "user_id", ids.alice), 2)],
  ["a 5 MiB name",
    () => as("alice").from("profiles").update({ full_name: "x".repeat(5 * 1024 * 1024) })
      .eq("id", ids.alice),
    { status: 400, code: "23514" },
    async () => assert.equal((await one("profiles", ids.alice, "full_name")).full_name,
      "Alice Adeyemi")],
  ["21 addresses in one request",
    () => as("bob").from("addresses").insert(Array.from({ length: 21 }, (_, i) => (
      { user_id: ids.bob, line1: `${i} Street`, city: "London", postcode: "E1 1AA" }))),
    { status: 400, code: "ZA010" },
    async () => assert.equal(await count("addresses", "user_id", ids.bob), 1)],
  ["an item into another customer's delivered order (its status is not told)",
    async () => as("bob").from("order_items").insert(
      { order_id: await aliceDelivered(), product_id: ids.bun, quantity: 1 }),
    { status: 403, code: "42501", hides: ["delivered", ids.camden] },
    async () => assert.equal(await count("order_items", "order_id", await aliceDelivered()), 2)],
  ["a review of another customer's delivered order (its status is not told)",
    async () => as("bob").from("reviews").insert(
      { order_id: await aliceDelivered(), user_id: ids.bob, vendor_id: ids.camden, rating: 1 }),
    { status: 403, code: "42501", hides: ["delivered", "refunded", ids.camden] },
    async () => assert.equal(await count("reviews", "user_id", ids.bob), 1)],
  ["a shop orders from itself (to review itself)",
    () => as("camden").rpc("create_order",
      { vendor_id: ids.camden, items: [{ product_id: ids.bun, quantity: 1 }] }),
    { status: 400, code: "ZA009" },
    async () => assert.equal(await count("orders", "user_id", ids.camden), 0)],
  ["a token signed with another secret",
    () => withToken(forge({ role: "service_role" }, "not-the-secret-not-the-secret-xx"))
      .from("orders").select("id"),
    { status: 401, code: "PGRST301" },
    async () => {}],
  ["an unsigned token (alg none)",
    () => withToken(forge({ role: "service_role" }, null)).from("system_config").select("*"),
    { status: 401, code: "PGRST301" },
    async () => {}],
  ["an expired token",
    () => withToken(forge({ role: "authenticated", sub: ids.alice, exp: 1 }, env.secret))
      .from("orders").select("id"),
    { status: 401, code: "PGRST301" },
    async () => {}],
  ["a token for a role that does not exist",
    () => withToken(forge({ role: "postgres" }, env.secret)).from("orders").select("id"),
    { status: 403, code: "42501" },
    async () => {}],
  ["mass assignment: an order placed as delivered",
    () => as("alice").from("orders").insert(
      { user_id: ids.alice, vendor_id: ids.camden, status: "delivered" }),
    { status: 400, code: "ZA001" },
    async () => assert.equal(await count("orders", "user_id", ids.alice), 2)],
  ["mass assignment: a customer makes herself admin",
    () => as("alice").from("profiles").update({ role: "admin" }).eq("id", ids.alice),
    { status: 403, code: "42501" },
    async () => assert.equal((await one("profiles", ids.alice, "role")).role, "customer")],
  ["cross-tenant: another customer's cart",
    () => as("bob").from("cart_items").update({ quantity: 99 }).eq("user_id", ids.alice).select(),
    "nothing",
    async () => {
      const cart = ok(await service.from("cart_items").select("quantity").eq("user_id", ids.alice))
      assert.ok(cart.every((item) => item.quantity < 99))
    }],
  ["cross-tenant: another customer's address deleted",
    () => as("bob").from("addresses").delete().eq("user_id", ids.alice).select(),
    "nothing",
    async () => assert.equal(await count("addresses", "user_id", ids.alice), 1)],
  ["another schema: auth.users",
    () => as("alice").schema("auth").from("users").select("email"),
    { status: 406, code: "PGRST106" },
    async () => {}],
  ["a trigger function over /rpc",
    () => as("alice").rpc("prepare_new_order"),
    { status: 404, code: "PGRST202" },
    async () => {}],
  ["an !inner embed to reach hidden orders",
    () => as("anon").from("reviews").select("id, orders!inner(status)"),
    { status: 401, code: "42501" },
    async () => {}],
]

for (const [name, attack, expected, check] of ATTACKS) {
  test(name, async () => {
    const { error, status, data } = await attack()
    if (expected === "nothing") {
      assert.equal(error, null)
      assert.deepEqual(data, [], "rows of someone else were reached")
    } else {
      assert.ok(error, `the attack succeeded (HTTP ${status})`)
      assert.deepEqual([status, error.code], [expected.status, expected.code], error.message)
      for (const secret of expected.hides ?? []) {
        assert.ok(!`${error.message} ${error.details ?? ""}`.includes(secret),
          `the refusal says too much: ${error.message}`)
      }
    }
    await check()
  })
}

test("an order keeps the address it was placed with", async () => {
  const before = (await one("orders", ids.aliceShoreditchOrder, "delivery_address"))
    .delivery_address
  assert.equal(before.line1, "12 Parkway")
  ok(await as("alice").from("addresses").update({ line1: "1 New Road" }).eq("id", ids.aliceAddress))
  ok(await as("alice").from("addresses").delete().eq("id", ids.aliceAddress))
  const after = await one("orders", ids.aliceShoreditchOrder, "address_id, delivery_address")
  assert.equal(after.address_id, null)
  assert.deepEqual(after.delivery_address, before)
})
