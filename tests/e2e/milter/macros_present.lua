-- macros_present.lua — the macros Postfix and Sendmail send: "j", {daemon_name}, {client_addr}
-- at connect; {tls_version}, {cipher} at HELO; "i" (queue id), {auth_type}, {auth_authen},
-- {mail_addr} at MAIL; {rcpt_addr} at RCPT; "i" again at DATA and at end of message (Postfix's
-- milter_end_of_data_macros), one empty value, one name never heard of; the client connects
-- over IPv6. The milter must answer every step as usual: a clean message is accepted with its
-- X-KSMG-* header fields and an EICAR one refused with 550.
-- Run: miltertest -s macros_present.lua -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

local SMFIC_DATA, SMFIC_BODYEOB = string.byte("T"), string.byte("E")

local function macros(conn, qid)
  return function(step, i)
    if step == "MAIL" then
      T.ok(mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_type}", "PLAIN", "{auth_authen}", "alice",
                    "{auth_ssf}", "0", "{mail_addr}", "alice@example.net", "{x_unheard_of}", ""),
           "macros MAIL")
    elseif step == "RCPT" then
      T.ok(mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", "bob@example.org", "{rcpt_mailer}", "local"),
           "macros RCPT")
    elseif step == "DATA" then
      T.ok(mt.macro(conn, SMFIC_DATA, "i", qid), "macros DATA")
    elseif step == "EOM" then
      T.ok(mt.macro(conn, SMFIC_BODYEOB, "i", qid, "{msg_id}", "<m@example.net>"), "macros EOM")
    end
  end
end

T.run(function()
  local conn = T.open(nil, nil, nil)
  T.ok(mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.org", "{daemon_name}", "smtpd",
                "{client_addr}", "2001:db8::25", "{client_name}", "client.example.net"),
       "macros connect")
  if not mt.test_option(conn, SMFIP_NOCONNECT) then
    T.step(conn, "connect (IPv6)", mt.conninfo(conn, "client.example.net", "2001:db8::25"))
  end
  T.ok(mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3", "{cipher}",
                "TLS_AES_256_GCM_SHA384"), "macros HELO")
  if not mt.test_option(conn, SMFIP_NOHELO) then
    T.step(conn, "HELO", mt.helo(conn, "client.example.net"))
  end
  local m = T.clean("with macros")
  m.macros = macros(conn, "ABC123")
  T.message(conn, m)
  T.expect_accepted(conn, "clean message with macros")
  m = T.infected("with macros, infected")
  m.macros = macros(conn, "DEF456")
  T.message(conn, m)
  T.expect_rejected(conn, "EICAR message with macros")
  mt.disconnect(conn)
end)
