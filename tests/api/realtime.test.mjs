// The plan's end-to-end scenarios, through supabase-js's Realtime client and the REST API.
import assert from "node:assert/strict"
import { after, test } from "node:test"
import { env, ids, ok } from "./harness.mjs"
import { closeAll, Inbox, joined, live, sign, watch } from "./realtime.mjs"

after(closeAll)

const newOrder = async (client) => ok(await client.rpc("create_order", {
  vendor_id: ids.camden, items: [{ product_id: ids.sourdough, quantity: 1 }],
  address_id: ids.aliceAddress,
}))

test("order status sync: customer, vendor portal and her notifications", async () => {
  const alice = live("alice")
  const camden = live("camden")
  const mine = await watch(alice, "my-orders",
    { table: "orders", filter: `user_id=eq.${ids.alice}` })
  const notes = await watch(alice, "my-notifications",
    { table: "notifications", event: "INSERT", filter: `user_id=eq.${ids.alice}` })
  const portal = await watch(camden, "shop-orders",
    { table: "orders", filter: `vendor_id=eq.${ids.camden}` })

  const placed = await newOrder(alice)
  const inserted = await portal.until((p) => p.eventType === "INSERT" && p.new.id === placed.id,
    "the new order on the vendor's portal")
  // The committed total, as a number (a generated column: wal2json carries it, pgoutput not).
  if (env.decoder === "wal2json") assert.equal(inserted.new.total, placed.total)
  assert.equal(inserted.new.status, "pending")
  assert.deepEqual(inserted.old, {})

  ok(await camden.from("orders").update({ status: "confirmed" }).eq("id", placed.id))
  const moved = await mine.until((p) => p.eventType === "UPDATE" && p.new.id === placed.id,
    "the status change on the customer's app")
  assert.equal(moved.old.status, "pending")
  assert.equal(moved.new.status, "confirmed")
  assert.equal(moved.table, "orders")
  assert.match(moved.commit_timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  const note = await notes.until((p) => JSON.stringify(p.new.data ?? {}).includes(placed.id)
    || (p.new.action_url ?? "").includes(placed.id), "her notification of the change")
  assert.equal(note.new.user_id, ids.alice)
})

test("another customer's rows never reach her, filtered or not", async () => {
  const alice = live("alice")
  const bob = live("bob")
  const everything = await watch(alice, "all-orders", { table: "orders" })
  const spying = await watch(alice, "bobs-orders",
    { table: "orders", filter: `user_id=eq.${ids.bob}` })
  const bobs = ok(await bob.rpc("create_order", {
    vendor_id: ids.shoreditch, items: [{ product_id: ids.tomatoes, quantity: 1 }],
  }))
  const own = await newOrder(alice)  // after Bob's write: it arrives after it would have
  await everything.until((p) => p.new.id === own.id, "her own order")
  assert.ok(everything.items.every((p) => p.new.user_id === ids.alice), JSON.stringify(everything.items))
  assert.deepEqual(spying.items, [])
  assert.ok(!everything.items.some((p) => p.new.id === bobs.id))
})

test("cart sync across two devices; DELETE included; another customer sees none", async () => {
  const phone = live("alice")
  const tablet = live("alice")
  const chloe = live("chloe")
  const cart = `user_id=eq.${ids.alice}`
  const onTablet = await watch(tablet, "cart-tablet", { table: "cart_items", filter: cart })
  const onPhone = await watch(phone, "cart-phone", { table: "cart_items", filter: cart })
  const hers = await watch(chloe, "cart-chloe", { table: "cart_items" })

  const [item] = ok(await phone.from("cart_items")
    .insert({ user_id: ids.alice, product_id: ids.bun, quantity: 1 }).select())
  const added = await onTablet.until((p) => p.eventType === "INSERT", "the added item")
  assert.equal(added.new.id, item.id)
  assert.equal(added.new.quantity, 1)
  ok(await phone.from("cart_items").update({ quantity: 3 }).eq("id", item.id))
  const changed = await onTablet.until((p) => p.eventType === "UPDATE", "the new quantity")
  assert.equal(changed.new.quantity, 3)
  ok(await phone.from("cart_items").delete().eq("id", item.id))
  const removed = await onTablet.until((p) => p.eventType === "DELETE", "the removal")
  assert.deepEqual(removed.old, { id: item.id })  // RLS: a DELETE carries the key only
  assert.deepEqual(removed.new, {})
  await onPhone.until((p) => p.eventType === "DELETE", "the removal on the device that made it")

  const [own] = ok(await chloe.from("cart_items")
    .insert({ user_id: ids.chloe, product_id: ids.bun, quantity: 2 }).select())
  await hers.until((p) => p.new.id === own.id, "her own cart item")
  // Alice's DELETE matched no filter of Chloe's (none) and is sent as Realtime sends it: key only.
  assert.ok(hers.items.every((p) => p.eventType === "DELETE" || p.new.user_id === ids.chloe))
  assert.ok(hers.items.every((p) => p.eventType !== "DELETE" || Object.keys(p.old).join() === "id"))
})

test("catalogue: a product deactivated then deleted, as each subscriber receives it", async () => {
  const camden = live("camden")
  const anon = live("anon")
  const shop = await watch(camden, "my-products",
    { table: "products", filter: `vendor_id=eq.${ids.camden}` })
  const browsing = await watch(anon, "catalogue", { table: "products" })

  const [product] = ok(await camden.from("products").insert({
    vendor_id: ids.camden, category_id: ids.bakery, name: "Rye loaf", price: 3.2,
  }).select())
  const listed = await browsing.until((p) => p.eventType === "INSERT" && p.new.id === product.id,
    "the new product in the catalogue")
  assert.equal(listed.new.price, 3.2)

  ok(await camden.from("products").update({ is_active: false }).eq("id", product.id))
  const hidden = await shop.until((p) => p.eventType === "UPDATE" && p.new.id === product.id,
    "the deactivation on the vendor's own subscription")
  assert.equal(hidden.new.is_active, false)
  assert.equal(hidden.old.is_active, true)

  ok(await camden.from("products").delete().eq("id", product.id))
  const gone = await browsing.until((p) => p.eventType === "DELETE", "the deletion in the catalogue")
  assert.deepEqual(gone.old, { id: product.id })
  const goneToo = await shop.until((p) => p.eventType === "DELETE", "the deletion in the portal")
  assert.deepEqual(goneToo.old, { id: product.id })
  // The row the public can no longer read sent the public nothing: no UPDATE with is_active false.
  assert.ok(!browsing.items.some((p) => p.eventType === "UPDATE" && p.new.id === product.id))
})

const announcements = (client, inbox, config = {}) => {
  const channel = client.channel("platform-announcements",
    { config: { private: true, ...config } })
  channel.on("broadcast", { event: "notice" }, inbox.push)
  return channel
}

test("announcements: the admin broadcasts, signed-in users receive, others cannot", async () => {
  const heard = new Inbox()
  const alice = live("alice")
  await joined(announcements(alice, heard))
  const admin = live("admin")
  const adminHeard = new Inbox()
  const desk = await joined(announcements(admin, adminHeard, { broadcast: { ack: true, self: true } }))

  assert.equal(await desk.send({ type: "broadcast", event: "notice", payload: { text: "maintenance" } }), "ok")
  const notice = await heard.until((m) => m.payload.text === "maintenance", "the admin's notice")
  assert.equal(notice.event, "notice")
  await adminHeard.until((m) => m.payload.text === "maintenance", "the admin's own notice (self)")

  ok(await admin.rpc("broadcast_event", {
    channel: "platform-announcements", event: "notice", payload: { text: "from the database" },
  }))
  const fromDb = await heard.until((m) => m.payload.text === "from the database", "realtime.send's notice")
  assert.equal(fromDb.meta.id, fromDb.payload.id)  // Realtime's meta.id: the message's row

  // A customer's send is dropped without a word: no ack, and nobody hears it.
  const loud = await joined(announcements(live("alice"), new Inbox(), { broadcast: { ack: true } }))
  assert.equal(await loud.send({ type: "broadcast", event: "notice", payload: { text: "forged" } },
    { timeout: 1500 }), "timed out")
  await desk.send({ type: "broadcast", event: "notice", payload: { text: "after" } })
  await heard.until((m) => m.payload.text === "after", "the admin's next notice")
  assert.ok(!heard.items.some((m) => m.payload.text === "forged"))

  await assert.rejects(joined(announcements(live("anon"), new Inbox())), {
    message: "Unauthorized: You do not have permissions to read from this Channel topic: platform-announcements",
  })
})

test("presence on admin-dashboard: two admins see each other come and go; a customer cannot join", async () => {
  const track = async (who, key) => {
    const events = new Inbox()
    const channel = live(who).channel("admin-dashboard",
      { config: { private: true, presence: { key } } })
    channel.on("presence", { event: "join" }, ({ key: k }) => events.push(["join", k]))
    channel.on("presence", { event: "leave" }, ({ key: k }) => events.push(["leave", k]))
    await joined(channel)
    assert.equal(await channel.track({ role: "admin", online_at: new Date().toISOString() }), "ok")
    return { channel, events }
  }
  const first = await track("admin", "desk-1")
  const second = await track("admin2", "desk-2")
  await first.events.until(([e, k]) => e === "join" && k === "desk-2", "the second admin's join")
  await second.events.until(([e, k]) => e === "join" && k === "desk-1", "the first admin, already there")
  assert.deepEqual(Object.keys(first.channel.presenceState()).sort(), ["desk-1", "desk-2"])
  await second.channel.untrack()
  await first.events.until(([e, k]) => e === "leave" && k === "desk-2", "the second admin's leave")

  const customer = live("alice").channel("admin-dashboard",
    { config: { private: true, presence: { key: "alice" } } })
  customer.on("presence", { event: "sync" }, () => {})
  await assert.rejects(joined(customer), {
    message: "Unauthorized: You do not have permissions to read from this Channel topic: admin-dashboard",
  })
})

test("tokens: a forged or expired token cannot join; one that expires closes the channel", async () => {
  const now = Math.floor(Date.now() / 1000)
  const user = { role: "authenticated", aud: "authenticated", sub: ids.alice }
  const forged = live("alice", { token: sign({ ...user, exp: now + 600 }, "x".repeat(40)) })
  await assert.rejects(joined(forged.channel("lobby")),
    { message: "JwtSignatureError: Failed to validate JWT signature" })
  const expired = live("alice", { token: sign({ ...user, exp: now - 30 }) })
  await assert.rejects(joined(expired.channel("lobby")),
    { message: /^InvalidJWTToken: Token has expired \d+ seconds ago$/ })

  const brief = live("alice", { token: sign({ ...user, exp: now + 2 }) })
  const system = new Inbox()
  const channel = brief.channel("lobby").on("system", {}, system.push)
  await joined(channel)
  const closing = await system.until((m) => m.status === "error", "the expiry", 8000)
  assert.match(closing.message, /^Token has expired \d+ seconds ago$/)
  assert.equal(closing.extension, "system")
})
