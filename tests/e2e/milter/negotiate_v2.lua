-- negotiate_v2.lua — an MTA speaking milter protocol version 2 (Sendmail 8.13 era): it offers
-- SMFI_V2_ACTS (add/change headers, change body, add/delete recipients, quarantine: 0x3F) and
-- SMFI_V2_PROT (skip connect/helo/mail/rcpt/body/headers/EOH: 0x7F), no SMFIP_NR_* flags, and
-- sends no DATA step. The milter must ask for nothing beyond the offer, answer every step
-- (SMFIR_CONTINUE), then accept a clean message with its X-KSMG-* header fields and refuse an
-- EICAR one with 550 on the same connection.
-- Run: miltertest -s negotiate_v2.lua -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

local V2_ACTS = 0x3F  -- SMFIF_ADDHDRS|CHGBODY|ADDRCPT|DELRCPT|CHGHDRS|QUARANTINE (mfdef.h)
local V2_PROT = 0x7F  -- SMFIP_NOCONNECT|NOHELO|NOMAIL|NORCPT|NOBODY|NOHDRS|NOEOH (mfdef.h)

T.run(function()
  assert(V2_ACTS == SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT |
                    SMFIF_CHGHDRS | SMFIF_QUARANTINE)
  assert(V2_PROT == SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT |
                    SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH)
  local conn = T.open(2, V2_PROT, V2_ACTS)
  if not mt.test_action(conn, SMFIF_ADDHDRS) then
    T.fail("the milter did not ask for SMFIF_ADDHDRS")
  end
  T.hello(conn)
  local m = T.clean("version two")
  m.data = false
  T.message(conn, m)
  T.expect_accepted(conn, "v2 clean message")
  m = T.infected("version two, infected")
  m.data = false
  T.message(conn, m)
  T.expect_rejected(conn, "v2 EICAR message")
  mt.disconnect(conn)
end)
