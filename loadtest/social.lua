-- wrk script of `make bench-social`'s closed-loop maximum (loadtest/bench_social.py): cycles through the
-- prepared requests of loadtest/social_mix.py (a file named after `--`), counts answers that are not a
-- success (a read's 200, a form's 302 home, to a profile or to a tweet's conversation), then prints
-- summary.lua's JSON line.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "summary.lua")
local summary_done = done
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  prepared = {}
  -- The site's origin (args[2]), sent with each form as a browser does: over HTTPS Django's CSRF
  -- check refuses a form that names neither an Origin nor a Referer.
  local origin = args[2]
  for line in io.lines(args[1]) do
    local method, path, cookie, body = line:match("^(%u+)\t([^\t]+)\t([^\t]*)\t(.*)$")
    local headers = { Cookie = cookie }
    if method == "POST" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      headers["Origin"] = origin
    else
      body = nil
    end
    prepared[#prepared + 1] = wrk.format(method, path, headers, body)
  end
  -- Threads start at different places of the list, so they do not send the same requests in step.
  position = math.floor(#prepared * (thread_number - 1) / 2)
  unexpected = 0
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end

function response(status, headers, body)
  if status == 200 then return end
  local location = headers["Location"] or ""
  if status == 302 and (location == "/" or location:sub(1, 2) == "/@" or location:sub(1, 8) == "/tweets/") then
    return
  end
  unexpected = unexpected + 1
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  io.write(string.format('{"unexpected": %d}\n', total))
  summary_done(summary, latency, requests)
end
