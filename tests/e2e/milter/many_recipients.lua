-- many_recipients.lua — one message for 200 envelope recipients (200 SMFIC_RCPT, each answered
-- SMFIR_CONTINUE): accepted with X-KSMG-* header fields; then an EICAR message for 200
-- recipients on the same connection is refused with 550.
-- Run: miltertest -s many_recipients.lua -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

T.run(function()
  local rcpts = {}
  for i = 1, 200 do rcpts[i] = string.format("<user%03d@example.org>", i) end
  local conn = T.open(nil, nil, nil)
  T.hello(conn)
  local m = T.clean("for two hundred")
  m.rcpts = rcpts
  T.message(conn, m)
  T.expect_accepted(conn, "clean message, 200 recipients")
  m = T.infected("for two hundred, infected")
  m.rcpts = rcpts
  T.message(conn, m)
  T.expect_rejected(conn, "EICAR message, 200 recipients")
  mt.disconnect(conn)
end)
