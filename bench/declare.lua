-- wrk script: POST a valid declaration with a fresh plate each time (no two trucks collide).
-- The body template and headers come from bench/ingest.py through environment variables.
local template = os.getenv("BF_BODY")
local key = os.getenv("BF_KEY")
local counter = 0

function setup(thread)
  thread:set("id", math.random(0, 999))
end

function request()
  counter = counter + 1
  local n = (id * 7919 + counter) % 100000
  local plate = string.format("24C-%03d.%02d", math.floor(n / 100), n % 100)
  local body = string.gsub(template, "PLATE", plate)
  return wrk.format("POST", "/api/v1/crossings",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end

local created, other = 0, 0
function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end
