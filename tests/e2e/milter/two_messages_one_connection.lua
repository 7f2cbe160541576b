-- two_messages_one_connection.lua — several transactions on one milter connection (MAIL ... EOM,
-- MAIL ... EOM, ...), each answered on its own: clean → accepted with X-KSMG-* header fields,
-- EICAR → 550, clean again → accepted (a refusal does not stick to the connection), and a
-- second connection opened meanwhile is served independently.
-- Run: miltertest -s two_messages_one_connection.lua
--      -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

T.run(function()
  local conn = T.open(nil, nil, nil)
  T.hello(conn)
  T.message(conn, T.clean("first of three"))
  T.expect_accepted(conn, "message 1 (clean)")

  local other = T.open(nil, nil, nil)
  T.hello(other, "other.example.net", "198.51.100.7")

  T.message(conn, T.infected("second of three"))
  T.expect_rejected(conn, "message 2 (EICAR)")

  T.message(other, T.clean("on the other connection"))
  T.expect_accepted(other, "other connection (clean)")

  T.message(conn, T.clean("third of three"))
  T.expect_accepted(conn, "message 3 (clean)")

  mt.disconnect(other)
  mt.disconnect(conn)
end)
