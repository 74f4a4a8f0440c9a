-- wrk script: POST a valid declaration with a fresh plate and container each time (no two trucks collide).
-- The body template and headers come from bench/ingest.py through environment variables.
local template = os.getenv("BF_BODY")
local key = os.getenv("BF_KEY")
local counter = 0

function setup(thread)
  thread:set("id", math.random(0, 999))
end

-- ISO 6346: letters count 10..38 skipping multiples of 11; digit i weighs 2^i; the check digit is sum mod 11 mod 10.
local letters = {A=10,B=12,C=13,D=14,E=15,F=16,G=17,H=18,I=19,J=20,K=21,L=23,M=24,N=25,O=26,P=27,Q=28,R=29,
                 S=30,T=31,U=32,V=34,W=35,X=36,Y=37,Z=38}
local function container(serial)
  local code = string.format("CSQU%06d", serial)
  local sum = 0
  for i = 1, 10 do
    local ch = code:sub(i, i)
    sum = sum + (letters[ch] or tonumber(ch)) * 2 ^ (i - 1)
  end
  return code .. tostring(math.floor(sum % 11) % 10)
end

function request()
  counter = counter + 1
  local n = (id * 7919 + counter) % 100000
  local plate = string.format("24C-%03d.%02d", math.floor(n / 100), n % 100)
  local body = string.gsub(string.gsub(template, "PLATE", plate), "CONTAINER", container((id * 100000 + n) % 1000000))
  return wrk.format("POST", "/api/v1/crossings",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end

local created, other = 0, 0
function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end
