-- body_many_chunks.lua — a ~300 KB message sent as many body chunks of mixed sizes (1, 7,
-- 65535, 4096, 13 bytes, ...), with a cut inside the EICAR attachment (and a 1-byte chunk in
-- its middle): the milter must put the body back together and refuse it with 550. Then the
-- same ~300 KB text without the attachment, chunked the same way, is accepted with X-KSMG-*
-- header fields on the same connection.
-- Run: miltertest -s body_many_chunks.lua -D sock=inet:PORT@127.0.0.1 (with the milter running)
local here = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/") or "."
local T = dofile(here .. "/_common.lua")

local SIZES = {1, 7, 65535, 1, 1, 7, 13, 4096, 1, 7, 65535, 1, 100, 7, 1, 2}

-- Cuts s into chunks whose sizes cycle through SIZES, with extra cuts at the given offsets.
local function chunks(s, cuts)
  local out, pos, k = {}, 1, 1
  local ci = 1
  table.sort(cuts)
  while pos <= #s do
    local stop = pos + SIZES[k] - 1
    k = k % #SIZES + 1
    while cuts[ci] and cuts[ci] < pos do ci = ci + 1 end
    if cuts[ci] and cuts[ci] <= stop then stop = cuts[ci]; ci = ci + 1 end
    out[#out + 1] = s:sub(pos, stop)
    pos = stop + 1
  end
  return out
end

-- ~300 KB of text: numbered lines of 100 bytes.
local function filler()
  local lines = {}
  for i = 1, 3000 do
    lines[i] = string.format("%05d %s\r\n", i, string.rep(string.char(97 + i % 26), 92))
  end
  return table.concat(lines)
end

T.run(function()
  local text = filler()
  local body = T.eicar_body(text)
  local at = body:find(T.EICAR, 1, true)
  assert(at, "EICAR not in the body")
  -- chunk ends after byte at+29, a 1-byte chunk at at+30, the next starts at at+31
  local parts = chunks(body, {at + 29, at + 30})
  local joined = table.concat(parts)
  assert(joined == body)
  local ones, big, cut = 0, 0, false
  local pos = 1
  for _, p in ipairs(parts) do
    if #p == 1 then ones = ones + 1 end
    if #p == 65535 then big = big + 1 end
    if pos > at and pos < at + #T.EICAR then cut = true end
    pos = pos + #p
  end
  assert(cut and ones >= 10 and big >= 4, "the chunking does not do what this test is about")
  mt.echo(string.format("infected body: %d bytes in %d chunks", #body, #parts))

  local conn = T.open(nil, nil, nil)
  T.hello(conn)
  local m = T.infected("chunked")
  m.body = parts
  T.message(conn, m)
  T.expect_rejected(conn, "chunked EICAR message")

  local clean = "--b\r\nContent-Type: text/plain\r\n\r\n" .. text .. "\r\n--b--\r\n"
  m = {headers = T.headers("chunked clean", T.MULTIPART), body = chunks(clean, {})}
  mt.echo(string.format("clean body: %d bytes in %d chunks", #clean, #m.body))
  T.message(conn, m)
  T.expect_accepted(conn, "chunked clean message")
  mt.disconnect(conn)
end)
