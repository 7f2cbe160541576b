-- abort_then_clean.lua — SMFIC_ABORT resets the transaction and nothing of it leaks into the
-- next one on the same connection: a message with the EICAR attachment is aborted in the
-- middle of its body (after the attachment, before the closing boundary); then a transaction
-- aborted right after RCPT; then a clean message using the same MIME boundary must be accepted
-- (had the aborted body been kept, the EICAR part would complete into this message and be
-- refused), with its X-KSMG-* header fields; a last EICAR message is still refused with 550.
-- Run: miltertest -s abort_then_clean.lua -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

T.run(function()
  local conn = T.open(nil, nil, nil)
  T.hello(conn)

  -- 1: EICAR, aborted in the middle of the body
  T.step(conn, "MAIL 1", mt.mailfrom(conn, "<mallory@example.com>"))
  T.step(conn, "RCPT 1", mt.rcptto(conn, "<bob@example.org>"))
  if not mt.test_option(conn, SMFIP_NODATA) then T.step(conn, "DATA 1", mt.data(conn)) end
  for _, h in ipairs(T.headers("to be aborted", T.MULTIPART)) do
    T.step(conn, "header 1 " .. h[1], mt.header(conn, h[1], h[2]))
  end
  if not mt.test_option(conn, SMFIP_NOEOH) then T.step(conn, "EOH 1", mt.eoh(conn)) end
  local body = T.eicar_body()
  local cut = body:find("--b--", 1, true) - 1  -- everything up to the closing boundary
  T.step(conn, "body 1a", mt.bodystring(conn, body:sub(1, 40)))
  T.step(conn, "body 1b", mt.bodystring(conn, body:sub(41, cut)))
  T.ok(mt.abort(conn), "abort 1")

  -- 2: aborted after RCPT
  T.step(conn, "MAIL 2", mt.mailfrom(conn, "<mallory@example.com>"))
  T.step(conn, "RCPT 2", mt.rcptto(conn, "<carol@example.org>"))
  T.ok(mt.abort(conn), "abort 2")

  -- 3: clean, same boundary: the aborted body would make it infected
  local m = {from = "<alice@example.net>",
             headers = T.headers("after the abort", T.MULTIPART),
             body = "--b\r\nContent-Type: text/plain\r\n\r\nall fine\r\n--b--\r\n"}
  T.message(conn, m)
  T.expect_accepted(conn, "clean message after abort")

  -- 4: scanning still works
  T.message(conn, T.infected("after the abort, infected"))
  T.expect_rejected(conn, "EICAR message after abort")
  mt.disconnect(conn)
end)
