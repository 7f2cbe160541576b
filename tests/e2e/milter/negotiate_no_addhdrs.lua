-- negotiate_no_addhdrs.lua — the MTA offers every action except SMFIF_ADDHDRS (protocol v6,
-- all protocol flags). The milter must not ask for it, the transaction must run as usual, and
-- a clean message is accepted with no header field added (neither SMFIR_ADDHEADER nor
-- SMFIR_INSHEADER: the MTA would treat either as a protocol error); an EICAR message is still
-- refused with 550 on the same connection.
-- Run: miltertest -s negotiate_no_addhdrs.lua -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

local ALL_ACTS = 0x1FF   -- SMFI_CURR_ACTS (mfdef.h, protocol v6)

T.run(function()
  local offered = ALL_ACTS & ~math.tointeger(SMFIF_ADDHDRS)
  local conn = T.open(6, nil, offered)
  T.hello(conn)
  T.message(conn, T.clean("no headers please"))
  T.expect_accepted(conn, "clean message without ADDHDRS", false)
  if mt.eom_check(conn, MT_HDRADD) or mt.eom_check(conn, MT_HDRINSERT) then
    T.fail("the milter added a header field although SMFIF_ADDHDRS was not offered")
  end
  T.message(conn, T.infected("no headers, infected"))
  T.expect_rejected(conn, "EICAR message without ADDHDRS")
  mt.disconnect(conn)
end)
