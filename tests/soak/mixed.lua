-- wrk: a request mix over every size class; large files rarely.
local paths = {}
local function add(path, weight) for _ = 1, weight do paths[#paths + 1] = path end end
add("/index.html", 60) add("/1k.bin", 60) add("/64k.bin", 40) add("/100k.bin", 20)
add("/1m.bin", 8) add("/sub/", 5) add("/missing", 5) add("/64m.bin", 1)
local close = os.getenv("SOAK_CLOSE") == "1"
math.randomseed(os.time())
request = function()
  local headers = close and { ["Connection"] = "close" } or {}
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
