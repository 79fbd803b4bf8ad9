"""Push delivery: the outbox the database fills, and the worker that empties it to Expo.

Migration 0023 writes ``private.push_outbox`` rows in each notification's
transaction; :mod:`zora_db.push.worker` claims them with a lease and sends
them through :mod:`zora_db.push.expo`; :mod:`zora_db.push.outbox` holds every
statement. At least once: a message may arrive twice (a crash between
Expo's answer and its record), and its ``collapseId`` folds it on the device.
"""
