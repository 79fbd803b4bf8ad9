// The customer app (alice): browse, order, cart, notifications, reviews, push token.
import assert from "node:assert/strict"
import { test } from "node:test"
import { as, ids, ok, record } from "./harness.mjs"

const alice = as("alice")

test("browses verified shops and their products, nearest first", async () => {
  const shops = record("shops", ok(await alice.from("vendors")
    .select("id, shop_name, city, rating, review_count, delivery_fee")
    .eq("is_active", true).order("shop_name")))
  assert.deepEqual(shops.map((s) => s.shop_name), ["Brixton Spice", "Camden Bakery", "Shoreditch Grocer"])
  const products = record("shop_products", ok(await alice.from("products")
    .select("*, categories(name, slug)").eq("vendor_id", ids.camden).eq("is_active", true)
    .order("name")))
  assert.equal(products.length, 3)
  assert.ok(products.every((p) => p.categories !== null && typeof p.price === "number"))
  const near = record("nearby_vendors", ok(await alice.rpc("nearby_vendors",
    { lat: 51.537, lng: -0.146, radius_km: 10, max_results: 5 })))
  assert.equal(near[0].shop_name, "Camden Bakery")
})

test("lists her orders and opens one with its items and shop", async () => {
  const orders = record("my_orders", ok(await alice.from("orders").select("*")
    .eq("user_id", ids.alice).order("created_at", { ascending: false }).limit(20)))
  assert.equal(orders.length, 2)
  assert.ok(orders.every((o) => o.user_id === ids.alice))
  const detail = record("order_detail", ok(await alice.from("orders")
    .select("*, order_items(*), vendors(shop_name)").eq("id", ids.aliceCamdenOrder)))
  assert.equal(detail[0].vendors.shop_name, "Camden Bakery")
  assert.equal(detail[0].order_items.length, 2)
})

test("places an order in one call; the total comes from the database", async () => {
  const order = record("create_order", ok(await alice.rpc("create_order", {
    vendor_id: ids.camden,
    items: [{ product_id: ids.sourdough, quantity: 2 }],
    address_id: ids.aliceAddress,
  })))
  assert.equal(order.status, "pending")
  assert.equal(order.total, 2 * 4.5 + order.delivery_fee)
})

test("keeps her cart: add, change, upsert, remove", async () => {
  const added = ok(await alice.from("cart_items")
    .insert({ user_id: ids.alice, product_id: ids.bun, vendor_id: ids.camden, quantity: 1 })
    .select().single())
  ok(await alice.from("cart_items").update({ quantity: 3 }).eq("id", added.id))
  const upserted = ok(await alice.from("cart_items")
    .upsert({ user_id: ids.alice, product_id: ids.bun, vendor_id: ids.camden, quantity: 5 },
      { onConflict: "user_id,product_id" }).select().single())
  assert.equal(upserted.quantity, 5)
  const cart = record("cart", ok(await alice.from("cart_items")
    .select("id, quantity, product_id, products(name, price)").eq("user_id", ids.alice)
    .order("created_at")))
  assert.ok(cart.every((item) => item.products !== null))
  ok(await alice.from("cart_items").delete().eq("id", added.id))
  const after = ok(await alice.from("cart_items").select("id").eq("id", added.id))
  assert.deepEqual(after, [])
})

test("reads her notifications and marks them read", async () => {
  const mine = record("notifications", ok(await alice.from("notifications").select("*")
    .eq("user_id", ids.alice).order("created_at", { ascending: false })))
  assert.ok(mine.length > 0 && mine.every((n) => n.user_id === ids.alice))
  const read = ok(await alice.from("notifications").update({ is_read: true })
    .eq("user_id", ids.alice).eq("is_read", false).select("id, is_read"))
  assert.ok(read.every((n) => n.is_read))
})

test("registers her phone for push, twice (a retried upsert)", async () => {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    ok(await alice.from("device_tokens").upsert(
      { user_id: ids.alice, token: "expo-token-alice-2", platform: "android" },
      { onConflict: "token" }))
  }
  const tokens = ok(await alice.from("device_tokens").select("token").eq("user_id", ids.alice))
  assert.ok(tokens.some((t) => t.token === "expo-token-alice-2"))
})

test("sees who wrote a shop's reviews, and nothing else of their profiles", async () => {
  for (const who of ["alice", "anon"]) {
    const reviews = record("shop_reviews", ok(await as(who).from("reviews").select("*")
      .eq("vendor_id", ids.shoreditch)))
    assert.equal(reviews[0].author_name, "Bob Brennan")
  }
  const profiles = ok(await alice.from("profiles").select("email, phone").eq("id", ids.bob))
  assert.deepEqual(profiles, [], "another customer's profile is private")
})

test("keeps the shop and products of her own orders and cart when they go off sale", async () => {
  const admin = as("admin")
  ok(await admin.from("products").update({ is_active: false }).eq("id", ids.sourdough))
  ok(await admin.from("vendors").update({ is_active: false }).eq("id", ids.camden))
  const detail = record("order_detail", ok(await alice.from("orders")
    .select("*, order_items(*), vendors(shop_name)").eq("id", ids.aliceCamdenOrder)))
  assert.equal(detail[0].vendors?.shop_name, "Camden Bakery")
  const cart = record("cart", ok(await alice.from("cart_items")
    .select("id, quantity, product_id, products(name, price)").eq("user_id", ids.alice)))
  const sourdough = cart.find((item) => item.product_id === ids.sourdough)
  assert.equal(sourdough?.products?.name, "Sourdough loaf")
  // The storefront no longer lists them.
  const listed = ok(await as("anon").from("vendors").select("id").eq("id", ids.camden))
  assert.deepEqual(listed, [])
})
