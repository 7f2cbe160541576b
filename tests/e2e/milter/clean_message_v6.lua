-- clean_message_v6.lua — a clean message (From/To/Subject/Date/Message-ID, a short text body)
-- over protocol v6 with everything offered (mt.negotiate with nil: miltertest's defaults) is
-- answered at every step, accepted at end of message (SMFIR_ACCEPT or SMFIR_CONTINUE), and gets
-- its verdict's header fields: X-KSMG-AntiVirus-Status: Clean and X-KSMG-Message-Action, and
-- X-KSMG-AntiVirus (the engine and its database) appended with SMFIR_ADDHEADER.
-- Run: miltertest -s clean_message_v6.lua -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

T.run(function()
  local conn = T.open(nil, nil, nil)
  if not mt.test_action(conn, SMFIF_ADDHDRS) then
    T.fail("the milter did not ask for SMFIF_ADDHDRS")
  end
  T.hello(conn)
  T.message(conn, T.clean("lunch on Friday"))
  T.expect_accepted(conn, "clean message")
  if not mt.eom_check(conn, MT_HDRADD, "X-KSMG-AntiVirus") then
    T.fail("no X-KSMG-AntiVirus header field added with SMFIR_ADDHEADER")
  end
  if mt.eom_check(conn, MT_BODYCHANGE) then T.fail("a clean message got a new body") end
  mt.disconnect(conn)
end)
