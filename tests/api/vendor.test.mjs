// The vendor portal (Camden Bakery): its orders, their statuses, its catalogue.
import assert from "node:assert/strict"
import { test } from "node:test"
import { as, ids, ok, record } from "./harness.mjs"

const camden = as("camden")

test("lists the shop's orders with their items and buyers' names", async () => {
  const orders = record("shop_orders", ok(await camden.from("orders")
    .select("*, order_items(product_name, quantity, unit_price, line_total), profiles(full_name)")
    .eq("vendor_id", ids.camden).order("created_at", { ascending: false })))
  assert.equal(orders.length, 3)
  assert.ok(orders.every((o) => o.vendor_id === ids.camden && o.profiles !== null))
})

test("walks a new order through its statuses", async () => {
  for (const status of ["confirmed", "preparing", "ready", "out_for_delivery", "delivered"]) {
    const moved = ok(await camden.from("orders").update({ status })
      .eq("id", ids.chloeCamdenOrder).select("status").single())
    assert.equal(moved.status, status)
  }
  const history = ok(await camden.from("order_status_history").select("to_status")
    .eq("order_id", ids.chloeCamdenOrder))
  assert.equal(history.length, 5)
})

test("adds, reprices and withdraws a product", async () => {
  const added = ok(await camden.from("products")
    .insert({ vendor_id: ids.camden, name: "Rye loaf", price: 5.2, category_id: ids.bakery })
    .select().single())
  const repriced = ok(await camden.from("products").update({ price: 5.5 }).eq("id", added.id)
    .select("price").single())
  assert.equal(repriced.price, 5.5)
  ok(await camden.from("products").update({ is_active: false }).eq("id", added.id))
  ok(await camden.from("products").delete().eq("id", added.id))
})

test("cannot touch another shop's products or orders (nothing matches)", async () => {
  const product = ok(await camden.from("products").update({ price: 0.01 })
    .eq("id", ids.tomatoes).select())
  assert.deepEqual(product, [])
  const order = ok(await camden.from("orders").update({ status: "cancelled" })
    .eq("id", ids.bobShoreditchOrder).select())
  assert.deepEqual(order, [])
})
