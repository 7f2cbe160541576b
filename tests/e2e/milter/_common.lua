-- _common.lua — helpers shared by the miltertest cases in this folder (not a case itself: the
-- pytest runs only the files whose names do not start with "_"). Each case loads it with
--   local T = dofile(<the case's folder> .. "/_common.lua")
-- and runs its checks in T.run(function() ... end), so that a failure is printed: miltertest
-- 1.6.0 with Lua 5.3 exits 1 on an error but does not print the error's message.
--
-- Facts about miltertest 1.6.0 (read from its source, checked against a packet dump) that
-- these helpers work around:
-- * mt.negotiate(conn, version, protocol_flags, actions): the man page names the last two in
--   the other order; the code sends the 3rd argument as the protocol flags (SMFIP_*) and the
--   4th as the actions (SMFIF_*).
-- * After negotiation miltertest honours what the filter asked for: steps the filter asked to
--   skip (SMFIP_NO*) make the mt.* call fail, and for steps it asked not to answer (SMFIP_NR_*)
--   mt.getreply() returns SMFIR_CONTINUE without reading. So the helpers skip what the filter
--   skipped, and checking that the filter asked only for what was offered is up to T.open.
-- * mt.eom_check(conn, MT_SMTPREPLY, code[, esc[, text]]) compares the whole reply
--   "code esc text" with what the filter sent: a code alone matches only a reply of just
--   the code. T.REJECT_TEXT is the text ksmg-milter gives an infected message.
-- * mt.data() is never sent implicitly; T.message sends it unless the filter asked SMFIP_NODATA
--   or the case says data = false (protocol version 2 has no DATA step).

local T = {}

-- The EICAR test file, 68 bytes (a long bracket string: no escapes are interpreted).
T.EICAR = [[X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*]]
assert(#T.EICAR == 68)

-- What ksmg-milter answers the infected message of T.infected / T.eicar_body with at end of
-- message (SMFIR_REPLYCODE): "Message rejected: " and the verdict's reason, which names the
-- signature of examples/clamav/eicar.hdb (libclamav adds .UNOFFICIAL to a local database's
-- names) and where it was found (part 2 of the message, file name eicar.com).
T.REJECT_CODE, T.REJECT_ESC = "550", "5.7.1"
T.REJECT_TEXT = "Message rejected: antivirus: infected (Test.EICAR.Local.UNOFFICIAL in 2/eicar.com)"

function T.fail(msg) error(msg, 2) end

function T.run(main)
  local good, err = xpcall(main, debug.traceback)
  if not good then
    mt.echo("FAIL: " .. tostring(err))
    error(err, 0)
  end
  mt.echo("PASS")
end

function T.rname(r)
  local i = math.tointeger(r) or -1
  if i > 32 and i < 127 then return "'" .. string.char(i) .. "'" end
  return tostring(r)
end

function T.ok(err, what)
  if err ~= nil then T.fail(what .. " failed: " .. tostring(err)) end
end

function T.expect(conn, want, what)
  local got = mt.getreply(conn)
  if got ~= want then
    T.fail(string.format("%s: milter replied %s, expected %s", what, T.rname(got), T.rname(want)))
  end
end

-- A step the milter must answer with SMFIR_CONTINUE.
function T.step(conn, what, err)
  T.ok(err, what)
  T.expect(conn, SMFIR_CONTINUE, what)
end

local function constants(prefix)
  local list = {}
  for k, v in pairs(_G) do
    if type(k) == "string" and k:sub(1, #prefix) == prefix and math.tointeger(v) then
      list[#list + 1] = {k, math.tointeger(v)}
    end
  end
  table.sort(list, function(a, b) return a[1] < b[1] end)
  return list
end

-- Connects and negotiates (nil = miltertest's default: version 6, everything offered). Checks
-- that the filter asked only for protocol flags and actions that were offered, and that it
-- wants to see the header and the body (it scans them).
function T.open(version, protocol, actions)
  if sock == nil then T.fail("run with -D sock=inet:PORT@127.0.0.1") end
  local conn = mt.connect(sock)
  if conn == nil then T.fail("mt.connect(" .. sock .. ") failed") end
  T.ok(mt.negotiate(conn, version, protocol, actions), "negotiate")
  if protocol ~= nil then
    for _, c in ipairs(constants("SMFIP_")) do
      if c[2] & math.tointeger(protocol) == 0 and mt.test_option(conn, c[2]) then
        T.fail(string.format("the milter asked for %s (%#x), which was not offered (%#x)",
                             c[1], c[2], math.tointeger(protocol)))
      end
    end
  end
  if actions ~= nil then
    for _, c in ipairs(constants("SMFIF_")) do
      if c[2] & math.tointeger(actions) == 0 and mt.test_action(conn, c[2]) then
        T.fail(string.format("the milter asked for action %s (%#x), which was not offered (%#x)",
                             c[1], c[2], math.tointeger(actions)))
      end
    end
  end
  if mt.test_option(conn, SMFIP_NOHDRS) or mt.test_option(conn, SMFIP_NOBODY) then
    T.fail("the milter asked not to see the header or the body")
  end
  return conn
end

-- SMTP connection and HELO, each unless the filter asked to skip it.
function T.hello(conn, host, ip)
  if not mt.test_option(conn, SMFIP_NOCONNECT) then
    T.step(conn, "connect", mt.conninfo(conn, host or "client.example.net", ip or "192.0.2.10"))
  end
  if not mt.test_option(conn, SMFIP_NOHELO) then
    T.step(conn, "HELO", mt.helo(conn, host or "client.example.net"))
  end
end

-- One transaction up to and including end of message. m = {
--   from = "<a@b>", rcpts = {"<c@d>", ...}, headers = {{"Name", "value"}, ...},
--   body = "text" or {"chunk", "chunk", ...}, data = false (no DATA step), macros = function(step)
--   called before MAIL/RCPT/DATA/EOM with "MAIL", "RCPT", "DATA", "EOM" }
function T.message(conn, m)
  local macros = m.macros or function() end
  macros("MAIL")
  T.step(conn, "MAIL", mt.mailfrom(conn, m.from or "<alice@example.net>"))
  for i, r in ipairs(m.rcpts or {"<bob@example.org>"}) do
    macros("RCPT", i)
    T.step(conn, "RCPT " .. r, mt.rcptto(conn, r))
  end
  if m.data ~= false and not mt.test_option(conn, SMFIP_NODATA) then
    macros("DATA")
    T.step(conn, "DATA", mt.data(conn))
  end
  for _, h in ipairs(m.headers) do
    T.step(conn, "header " .. h[1], mt.header(conn, h[1], h[2]))
  end
  if not mt.test_option(conn, SMFIP_NOEOH) then T.step(conn, "EOH", mt.eoh(conn)) end
  local body = m.body
  if type(body) == "string" then body = {body} end
  for i, chunk in ipairs(body) do
    T.step(conn, string.format("body chunk %d (%d bytes)", i, #chunk), mt.bodystring(conn, chunk))
  end
  macros("EOM")
  T.ok(mt.eom(conn), "EOM")
end

function T.headers(subject, extra)
  local h = {
    {"From", "Alice <alice@example.net>"},
    {"To", "Bob <bob@example.org>"},
    {"Subject", subject},
    {"Date", "Fri, 21 Nov 2025 10:00:00 +0000"},
    {"Message-ID", "<" .. subject:gsub("%W", "-") .. "@example.net>"},
  }
  for _, e in ipairs(extra or {}) do h[#h + 1] = e end
  return h
end

-- A clean text/plain message.
function T.clean(subject)
  return {headers = T.headers(subject),
          body = "Hi Bob,\r\n\r\nlunch on Friday at noon?\r\n\r\nAlice\r\n"}
end

-- A multipart/mixed message whose attachment is exactly the EICAR file (the body as one string).
T.MULTIPART = {{"MIME-Version", "1.0"}, {"Content-Type", "multipart/mixed; boundary=\"b\""}}
function T.eicar_body(text)
  return "--b\r\nContent-Type: text/plain\r\n\r\n" .. (text or "see attachment\r\n") ..
         "\r\n--b\r\nContent-Type: application/octet-stream\r\n" ..
         "Content-Disposition: attachment; filename=\"eicar.com\"\r\n\r\n" ..
         T.EICAR .. "\r\n--b--\r\n"
end
function T.infected(subject)
  return {headers = T.headers(subject, T.MULTIPART), body = T.eicar_body()}
end

-- Was a header field of this name added (SMFIR_ADDHEADER or SMFIR_INSHEADER)?
function T.added(conn, name)
  return mt.eom_check(conn, MT_HDRADD, name) or mt.eom_check(conn, MT_HDRINSERT, name)
end

function T.show_headers(conn, what)
  for _, name in ipairs({"X-KSMG-Rule-ID", "X-KSMG-Message-Action", "X-KSMG-AntiVirus",
                         "X-KSMG-AntiVirus-Status", "X-KSMG-AntiSpam-Status",
                         "X-KSMG-AntiSpam-Auth", "X-KSMG-AntiPhishing",
                         "X-KSMG-ContentFiltering"}) do
    local v = mt.getheader(conn, name, 0)
    if v ~= nil then mt.echo((what or "") .. " added " .. name .. ":" .. v) end
  end
end

-- End of message answered "accept" (SMFIR_ACCEPT or SMFIR_CONTINUE), nothing rejected, and,
-- unless headers == false, X-KSMG-AntiVirus-Status: Clean and X-KSMG-Message-Action added.
function T.expect_accepted(conn, what, headers)
  local r = mt.getreply(conn)
  if r ~= SMFIR_ACCEPT and r ~= SMFIR_CONTINUE then
    T.fail(what .. ": end of message answered " .. T.rname(r) .. ", expected ACCEPT or CONTINUE")
  end
  T.show_headers(conn, what)
  if headers == false then return end
  if not T.added(conn, "X-KSMG-AntiVirus-Status") then
    T.fail(what .. ": no X-KSMG-AntiVirus-Status header field added")
  end
  local av = mt.getheader(conn, "X-KSMG-AntiVirus-Status", 0)
  if not av:match("^%s*Clean") then
    T.fail(what .. ": X-KSMG-AntiVirus-Status is '" .. av .. "', expected Clean")
  end
  if not T.added(conn, "X-KSMG-Message-Action") then
    T.fail(what .. ": no X-KSMG-Message-Action header field added")
  end
end

-- End of message answered SMFIR_REPLYCODE "550 5.7.1 <T.REJECT_TEXT>".
function T.expect_rejected(conn, what)
  local r = mt.getreply(conn)
  if r ~= SMFIR_REPLYCODE then
    T.fail(what .. ": end of message answered " .. T.rname(r) ..
           ", expected REPLYCODE (550 5.7.1)")
  end
  if not mt.eom_check(conn, MT_SMTPREPLY, T.REJECT_CODE, T.REJECT_ESC, T.REJECT_TEXT) then
    T.fail(string.format("%s: the reply is not '%s %s %s'", what, T.REJECT_CODE, T.REJECT_ESC,
                         T.REJECT_TEXT))
  end
end

return T
