-- negotiate_noconnect_nohelo.lua — protocol v6 where the MTA offers only SMFIP_NOCONNECT and
-- SMFIP_NOHELO as protocol flags (no SMFIP_NR_*: every step must be answered). The milter may
-- take the offer or not; it must ask for nothing else. Connect and HELO are sent only if it did
-- not ask to skip them (miltertest cannot leave them out otherwise: it fills in every step
-- before MAIL). As SMFIP_NOUNKNOWN and SMFIP_NODATA are not offered, an unknown SMTP command
-- (SMFIC_UNKNOWN) and DATA come too and must be answered. Then a clean message is accepted
-- with its X-KSMG-* header fields.
-- Run: miltertest -s negotiate_noconnect_nohelo.lua
--      -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

T.run(function()
  local conn = T.open(6, SMFIP_NOCONNECT | SMFIP_NOHELO, nil)
  mt.echo("milter skips connect: " .. tostring(mt.test_option(conn, SMFIP_NOCONNECT)) ..
          ", skips HELO: " .. tostring(mt.test_option(conn, SMFIP_NOHELO)))
  T.hello(conn)
  T.step(conn, "unknown SMTP command", mt.unknown(conn, "XFROBNICATE now"))
  T.message(conn, T.clean("no connect no helo"))
  T.expect_accepted(conn, "clean message")
  mt.disconnect(conn)
end)
