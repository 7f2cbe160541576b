-- macros_missing.lua — no macros at all (no queue id "i", no {auth_*}, no "j"), and the
-- connection from an unknown address family (mt.conninfo with host nil and "unspec": family
-- SMFIA_UNKNOWN, no port, no address): the milter must still answer every step, accept a clean
-- message with its X-KSMG-* header fields and refuse an EICAR one with 550.
-- Run: miltertest -s macros_missing.lua -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

T.run(function()
  local conn = T.open(nil, nil, nil)
  if not mt.test_option(conn, SMFIP_NOCONNECT) then
    T.step(conn, "connect (unknown family)", mt.conninfo(conn, nil, "unspec"))
  end
  if not mt.test_option(conn, SMFIP_NOHELO) then T.step(conn, "HELO", mt.helo(conn, "")) end
  T.message(conn, T.clean("no macros"))
  T.expect_accepted(conn, "clean message without macros")
  T.message(conn, T.infected("no macros, infected"))
  T.expect_rejected(conn, "EICAR message without macros")
  mt.disconnect(conn)
end)
