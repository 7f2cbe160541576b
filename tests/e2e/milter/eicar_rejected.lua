-- eicar_rejected.lua — a message whose attachment is the EICAR test file is refused at end of
-- message with SMFIR_REPLYCODE "550 5.7.1 ..." (the exact text: T.REJECT_TEXT in _common.lua),
-- after every earlier step was answered SMFIR_CONTINUE. Protocol v6, everything offered.
-- Run: miltertest -s eicar_rejected.lua -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

T.run(function()
  local conn = T.open(nil, nil, nil)
  T.hello(conn)
  T.message(conn, T.infected("the report"))
  T.expect_rejected(conn, "EICAR message")
  mt.disconnect(conn)
end)
