#!/usr/bin/env python3
"""Writes tests/transcripts/geo.txt: the commands (the points around Sicily come from a
fixed seed) with no replies; record them with
`python3 tests/tools/record.py --start tests/transcripts/geo.txt`."""
import os
import random
rnd = random.Random(20261203)
L = []
def c(s=""): L.append("# " + s if s else "")
def cmd(s, client=""): L.append(f"{client}> {s}")
L.append("""# Geo commands (geo.c, geohash.c, geohash_helper.c): GEOADD's flags and checks, the
# 52-bit geohash scores (ZRANGE WITHSCORES shows them byte for byte), GEOPOS's %.17Lf
# coordinates, GEOHASH's strings, GEODIST's four decimals, and the searches: Redis's
# unsorted order from the scan of the nine cells, ASC/DESC, COUNT (partial sort) and
# COUNT ANY, WITH* options, BYBOX, every error in georadiusGeneric's order, STORE,
# STOREDIST, GEOSEARCHSTORE and their keyspace events.
@profile redis 7.0.15
""")
c("The documentation's example.")
cmd('GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"')
cmd("TYPE Sicily"); cmd("OBJECT ENCODING Sicily")
cmd("ZRANGE Sicily 0 -1 WITHSCORES")
cmd("GEODIST Sicily Palermo Catania"); cmd("GEODIST Sicily Palermo Catania km")
cmd("GEODIST Sicily Palermo Catania KM"); cmd("GEODIST Sicily Palermo Catania mi"); cmd("GEODIST Sicily Palermo Catania Ft")
cmd("GEODIST Sicily Palermo Catania M")
cmd("GEODIST Sicily Palermo Palermo")
cmd("GEODIST Sicily Palermo nosuch"); cmd("GEODIST nosuch Palermo Catania")
cmd("GEODIST Sicily Palermo Catania yards"); cmd("GEODIST Sicily Palermo Catania km extra")
cmd('GEODIST Sicily Palermo Catania "km\\x00x"')
cmd("GEORADIUS Sicily 15 37 100 km"); cmd("GEORADIUS Sicily 15 37 200 km ASC")
cmd("GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH DESC")
cmd("GEOPOS Sicily Palermo Catania NonExisting"); cmd("GEOHASH Sicily Palermo Catania NonExisting")
cmd("GEOPOS nosuch a b"); cmd("GEOHASH nosuch a"); cmd("GEOPOS Sicily"); cmd("GEOHASH Sicily")
c("")
c("GEOADD: NX, XX and CH (read only before the first triple; CH goes on to ZADD).")
cmd("GEOADD flags NX 1 2 a"); cmd("GEOADD flags XX 1 3 a"); cmd("GEOADD flags XX CH 1 3 a")
cmd("GEOADD flags CH XX 1 3 a"); cmd("GEOADD flags NX 5 5 a 6 6 b"); cmd("GEOADD flags ch nx 7 7 c 8 8 a")
cmd("GEOADD flags CH 8 8 a 8 8 b 9 9 d"); cmd("GEOADD flags XX 0 0 new"); cmd("EXISTS flags")
cmd("GEOADD fresh XX 1 1 a"); cmd("EXISTS fresh")
cmd("ZRANGE flags 0 -1 WITHSCORES")
cmd("GEOADD flags NX XX 1 1 a"); cmd("GEOADD flags GT 1 1 a"); cmd("GEOADD flags LT 1 1"); cmd("GEOADD flags INCR 1 1 a")
cmd("GEOADD flags 1 1 a NX"); cmd("GEOADD flags 1 1 a 2 2"); cmd("GEOADD flags CH CH CH"); cmd("GEOADD flags NX CH NX")
cmd("GEOADD flags 1 1"); cmd("GEOADD flags 1")
cmd('GEOADD flags "nx\\x00junk" 1 1 z'); cmd("ZSCORE flags z")
c("Each position is checked before the key: a float first, then the limits.")
for lon, lat in [("abc", "1"), ("1", "abc"), ("abc", "def"), ("180.0000001", "0"), ("-180.5", "0"),
                 ("0", "85.05112879"), ("0", "-85.05112879"), ("1e300", "0"), ("inf", "0"), ("0", "-inf"),
                 ("200", "100"), ("-0.0000004", "90"), ("123456789012345678901234567890", "1"),
                 ("0x10", "95.5"), ("181", "0.00000049"), ("181", "0.0000005"), ("181", "0.0000015"),
                 ("181", "-0.0000025"), ("1e-300", "-99.9999995"), ('""', "1"), ('" 1"', "1"), ("nan", "1")]:
    cmd(f"GEOADD bad {lon} {lat} m")
cmd("GEOADD bad 1 1 ok 200 1 no"); cmd("EXISTS bad")
cmd("SET str v"); cmd("GEOADD str 1 1 m"); cmd("GEOADD str 1 100 m"); cmd("GEOADD str NX XX 1 1 m")
c("")
c("The limits: the poles are out of reach, the antimeridian and the Web Mercator edge in.")
pts = [("-180", "0", "w180"), ("180", "0", "e180"), ("0", "0", "origin"), ("-0", "-0", "negzero"),
       ("0", "85.05112878", "top"), ("0", "-85.05112878", "bottom"), ("180", "85.05112878", "ne"),
       ("-180", "-85.05112878", "sw"), ("179.999999", "-85.05112877", "se"), ("-179.9999999", "85.0511287", "nw"),
       ("0.000001", "0.000001", "tiny"), ("1e-10", "-1e-10", "tinier"), ("-0.00000001", "0.00000001", "almost"),
       ("13.361389", "38.115556", "Palermo"), ("2.2945", "48.8584", "eiffel"), ("-73.985656", "40.748433", "esb"),
       ("139.7454", "35.6586", "tokyo"), ("-122.4194", "37.7749", "sf"), ("151.2153", "-33.8568", "sydney"),
       ("-43.2105", "-22.9519", "rio"), ("0x1p-3", "1.5e1", "hexfloat"), ("+45", "+45", "plus"),
       ("90", "66.5", "arctic"), ("-90", "-80.5", "antarctic"), ("179.5", "10", "fiji"), ("-179.5", "10", "samoa")]
cmd("GEOADD world " + " ".join(f"{a} {b} {n}" for a, b, n in pts))
cmd("ZRANGE world 0 -1 WITHSCORES")
cmd("GEOPOS world " + " ".join(n for _, _, n in pts))
cmd("GEOHASH world " + " ".join(n for _, _, n in pts))
cmd("GEODIST world w180 e180"); cmd("GEODIST world fiji samoa km"); cmd("GEODIST world top bottom km")
cmd("GEODIST world ne sw km"); cmd("GEODIST world origin negzero"); cmd("GEODIST world tiny tinier ft")
cmd("GEODIST world esb tokyo mi"); cmd("GEODIST world sydney rio km"); cmd("GEODIST world arctic antarctic")
cmd("GEODIST world top ne km"); cmd("GEODIST world eiffel Palermo ft")
c("Across the antimeridian and near the edge of the map.")
cmd("GEORADIUS world 180 10 200 km WITHDIST"); cmd("GEORADIUS world -180 10 200 km WITHDIST ASC")
cmd("GEOSEARCH world FROMMEMBER fiji BYBOX 400 400 km WITHDIST"); cmd("GEOSEARCH world FROMMEMBER samoa BYRADIUS 200 km")
cmd("GEOSEARCH world FROMLONLAT 0 85.05112878 BYRADIUS 5000 km WITHCOORD"); cmd("GEOSEARCH world FROMMEMBER top BYBOX 40000 1000 km ASC")
cmd("GEOSEARCH world FROMLONLAT 0 -85 BYRADIUS 20000 km"); cmd("GEOSEARCH world FROMLONLAT 0 0 BYRADIUS 22000 km WITHDIST")
cmd("GEOSEARCH world FROMLONLAT 0 0 BYRADIUS 1 m WITHDIST WITHHASH"); cmd("GEOSEARCH world FROMLONLAT 0 0 BYRADIUS 0 m WITHDIST")
cmd("GEOSEARCH world FROMLONLAT 0 0 BYBOX 0 0 m WITHDIST"); cmd("GEOSEARCH world FROMLONLAT 180 0 BYBOX 1 1 km WITHCOORD")
cmd("GEOSEARCH world FROMLONLAT 10 10 BYRADIUS inf km"); cmd("GEOSEARCH world FROMLONLAT 10 10 BYBOX inf 100 km")
cmd("GEOSEARCH world FROMLONLAT 10 10 BYRADIUS 1e-300 m"); cmd("GEOSEARCH world FROMLONLAT 10 10 BYRADIUS 1e308 mi WITHDIST COUNT 3")
for r in ["100 km", "1000 km", "3000 km", "10000 km", "15000 km", "20000 km"]:
    cmd(f"GEOSEARCH world FROMMEMBER Palermo BYRADIUS {r}")
c("A member at longitude 180 (or latitude 85.05112878) exactly scores past 2^52, where no")
c("cell's range reaches unless the centre is on that edge too; near a pole the three columns")
c("of cells span too little longitude and miss members inside the radius.")
cmd("GEOADD edge 180 0 a 179.99 0 b -180 0 c 10 85.05112878 top 10 85.0511 near")
cmd("ZRANGE edge 0 -1 WITHSCORES")
cmd("GEOSEARCH edge FROMLONLAT 179.9 0 BYRADIUS 100 km WITHDIST"); cmd("GEOSEARCH edge FROMLONLAT 180 0 BYRADIUS 100 km WITHDIST")
cmd("GEOSEARCH edge FROMLONLAT 10 85.05 BYRADIUS 100 km WITHDIST"); cmd("GEOSEARCH edge FROMLONLAT 10 85.05112878 BYRADIUS 100 km WITHDIST")
cmd("GEOADD pole -163.553148 -85.051127 m 152.4 -85.0 w"); cmd("GEODIST pole m w km")
cmd("GEOSEARCH pole FROMLONLAT 152.3805514609253 -85.05112878 BYRADIUS 563124.2567414638 m WITHDIST")
cmd("GEOSEARCH pole FROMMEMBER w BYRADIUS 600 km WITHDIST")
c("")
c("Scores Redis did not write decode too (a double truncated to 64 bits as x86-64 does).")
cmd("ZADD odd -1 neg 1.5 frac 0 zero 4503599627370495 max52 4503599627370496 two52 1e19 big 1e30 huge inf inf -inf ninf 9007199254740993 odd53")
cmd("GEOPOS odd neg frac zero max52 two52 big huge inf ninf odd53")
cmd("GEOHASH odd neg frac zero max52 two52 big huge inf ninf odd53")
cmd("GEODIST odd neg zero"); cmd("GEODIST odd huge inf km")
cmd("GEOSEARCH odd FROMLONLAT -180 -85 BYRADIUS 10 km WITHHASH WITHCOORD"); cmd("GEOSEARCH odd FROMMEMBER neg BYRADIUS 1 km WITHHASH")
c("")
# region dataset
region = []
for i in range(70):
    lon = 13 + rnd.uniform(-1.5, 1.5); lat = 38 + rnd.uniform(-1.2, 1.2)
    region.append((f"{lon:.6f}", f"{lat:.6f}", f"p{i:02d}"))
# exact duplicates and equal distances for ties
region += [("13.5", "38.5", "dupA"), ("13.5", "38.5", "dupB"), ("13.5", "38.5", "dupC"), ("12.5", "37.5", "mirrorA"), ("13.5", "37.5", "mirrorB")]
c("Dozens of points around Sicily: the unsorted order is the scan's (cell by cell, each in")
c("score order); COUNT without ANY sorts only the first ones (ties as pqsort leaves them).")
chunks = [region[i:i+25] for i in range(0, len(region), 25)]
for ch in chunks:
    cmd("GEOADD sic " + " ".join(f"{a} {b} {n}" for a, b, n in ch))
cmd("ZCARD sic"); cmd("OBJECT ENCODING sic"); cmd("ZRANGE sic 0 -1 WITHSCORES")
cmd("GEOPOS sic " + " ".join(n for _, _, n in region))
cmd("GEOHASH sic " + " ".join(n for _, _, n in region))
centers = [("13", "38"), ("13.5", "38.5"), ("12.1", "37.1"), ("14.4", "39.1"), ("13.000001", "37.999999")]
for (x, y) in centers:
    for r in ["10 km", "50 km", "80000 m", "120 km", "60 mi", "400000 ft", "300 km"]:
        cmd(f"GEORADIUS sic {x} {y} {r}")
cmd("GEORADIUS sic 13 38 100 km WITHDIST"); cmd("GEORADIUS sic 13 38 100 km WITHDIST ASC"); cmd("GEORADIUS sic 13 38 100 km WITHDIST DESC")
cmd("GEORADIUS sic 13.5 38.5 150 km WITHDIST COUNT 5"); cmd("GEORADIUS sic 13.5 38.5 150 km WITHDIST COUNT 5 DESC")
cmd("GEORADIUS sic 13.5 38.5 150 km COUNT 5 ANY"); cmd("GEORADIUS sic 13.5 38.5 150 km COUNT 5 ANY ASC"); cmd("GEORADIUS sic 13.5 38.5 150 km COUNT 5 ANY DESC WITHDIST")
cmd("GEORADIUS sic 13.5 38.5 150 km COUNT 1000"); cmd("GEORADIUS sic 13.5 38.5 150 km COUNT 1000 ANY")
cmd("GEORADIUS sic 13.5 38.5 0 km WITHDIST"); cmd("GEORADIUS sic 13.5 38.5 0 km COUNT 2"); cmd("GEORADIUS sic 13.5 38.5 0 km COUNT 2 DESC")
cmd("GEORADIUS sic 13 38 100 km COUNT 3 ASC COUNT 7"); cmd("GEORADIUS sic 13 38 100 km DESC ASC COUNT 4")
cmd("GEORADIUS sic 13 38 100 km WITHCOORD WITHHASH WITHDIST COUNT 3"); cmd("GEORADIUS sic 13 38 100 km withdist withdist")
cmd("GEORADIUSBYMEMBER sic p00 100 km"); cmd("GEORADIUSBYMEMBER sic p00 100 km WITHDIST COUNT 10"); cmd("GEORADIUSBYMEMBER sic dupA 0 m WITHDIST")
cmd("GEORADIUSBYMEMBER_RO sic p01 50 km ASC"); cmd("GEORADIUS_RO sic 13 38 50 km DESC WITHCOORD")
for (x, y) in centers[:3]:
    for bx in ["50 50 km", "100 40 km", "30 200 km", "200000 100000 m", "100 100 mi", "1 1 km"]:
        cmd(f"GEOSEARCH sic FROMLONLAT {x} {y} BYBOX {bx}")
cmd("GEOSEARCH sic FROMLONLAT 13 38 BYBOX 150 100 km WITHDIST ASC"); cmd("GEOSEARCH sic FROMMEMBER dupA BYBOX 150 100 km WITHDIST COUNT 6")
cmd("GEOSEARCH sic FROMMEMBER mirrorA BYRADIUS 200 km COUNT 4 DESC WITHDIST"); cmd("GEOSEARCH sic FROMMEMBER p10 BYRADIUS 200 km COUNT 8 ANY")
cmd("GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 100 km ASC COUNT 10 WITHCOORD WITHDIST WITHHASH")
cmd("GEOSEARCH sic BYRADIUS 100 km FROMLONLAT 13 38 DESC"); cmd("GEOSEARCH sic COUNT 3 BYBOX 80 80 km WITHDIST FROMMEMBER p05")
cmd("GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 50 km FROMLONLAT 14 39"); cmd("GEOSEARCH sic FROMMEMBER p00 FROMMEMBER p01 BYRADIUS 50 km")
cmd("GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 50 km BYRADIUS 80 km"); cmd("GEOSEARCH sic FROMLONLAT 13 38 BYBOX 10 10 km BYBOX 100 100 km")
cmd("GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 100 KM"); cmd("GEOSEARCH sic fromlonlat 13 38 byradius 100 Mi asc count 3 withdist")
c("")
c("The errors, in the order the walk meets them.")
for e in ["GEOSEARCH sic FROMLONLAT 13 38", "GEOSEARCH sic BYRADIUS 10 km COUNT 3", "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 10 km ANY",
          "geosearch sic BYRADIUS 10 km WITHDIST ASC", "GeoSearch sic FROMLONLAT 13 38 WITHDIST ASC",
          "GEOSEARCH sic FROMMEMBER nosuch BYRADIUS 10 km", "GEOSEARCH sic FROMMEMBER nosuch BYRADIUS -1 km",
          "GEOSEARCH sic BYRADIUS -1 km FROMMEMBER nosuch", "GEOSEARCH sic FROMLONLAT 200 38 BYRADIUS 10 km",
          "GEOSEARCH sic FROMLONLAT 13 abc BYRADIUS 10 km", "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS abc km",
          "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS -0.1 km", "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 10 parsecs",
          "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS -1 parsecs", "GEOSEARCH sic FROMLONLAT 13 38 BYBOX abc 1 km",
          "GEOSEARCH sic FROMLONLAT 13 38 BYBOX 1 abc km", "GEOSEARCH sic FROMLONLAT 13 38 BYBOX abc def km",
          "GEOSEARCH sic FROMLONLAT 13 38 BYBOX -1 abc km", "GEOSEARCH sic FROMLONLAT 13 38 BYBOX 1 -1 km",
          "GEOSEARCH sic FROMLONLAT 13 38 BYBOX -1 1 x", "GEOSEARCH sic FROMLONLAT 13 38 BYBOX 1 1 x",
          "GEOSEARCH sic FROMLONLAT 13 38 BYBOX 1 1 km BYRADIUS 1 km", "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km BYBOX 1 1 km",
          "GEOSEARCH sic FROMMEMBER p00 FROMLONLAT 13 38 BYRADIUS 1 km", "GEOSEARCH sic FROMLONLAT 13 38 FROMMEMBER p00 BYRADIUS 1 km",
          "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km COUNT 0", "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km COUNT -3",
          "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km COUNT abc", "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km COUNT",
          "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km STORE dst", "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km STOREDIST",
          "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km STOREDIST dst", "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1",
          "GEOSEARCH sic FROMLONLAT 13 38 BYBOX 1 1", "GEOSEARCH sic FROMLONLAT 13 BYRADIUS 1 km",
          "GEOSEARCH sic FROMMEMBER BYRADIUS 1 km", "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km ANY COUNT 0",
          "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km bogus", 'GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km "withdist\\x00x"',
          "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 1 km WITHDIST ANY", "GEOSEARCH sic",
          "GEOSEARCH nosuch FROMMEMBER nosuch BYRADIUS 10 km", "GEOSEARCH nosuch FROMLONLAT 13 38 BYRADIUS 10 km WITHDIST",
          "GEOSEARCH nosuch FROMLONLAT 200 38 BYRADIUS 10 km", "GEOSEARCH nosuch FROMMEMBER x BYRADIUS 10 km ANY",
          "GEOSEARCH nosuch FROMMEMBER x", "GEOSEARCH str FROMLONLAT 200 38 BYRADIUS 10 km", "GEOSEARCH str a b c d e f",
          "GEORADIUS sic 200 38 10 km", "GEORADIUS sic 13 38 -10 km", "GEORADIUS sic 13 38 10 lightyears", "GEORADIUS sic abc 38 10 km",
          "GEORADIUS sic 13 38 abc km", "GEORADIUS sic 13 38 10 km FROMLONLAT 1 1", "GEORADIUS sic 13 38 10 km BYRADIUS 1 km",
          "GEORADIUS sic 13 38 10 km STOREDIST", "GEORADIUS sic 13 38 10 km STORE", "GEORADIUS sic 13 38 10 km STORE d WITHDIST",
          "GEORADIUS sic 13 38 10 km WITHCOORD STOREDIST d", "GEORADIUS sic 13 38 10 km ANY", "GEORADIUS sic 13 38 10 km COUNT 0 ANY",
          "GEORADIUS_RO sic 13 38 10 km STORE d", "GEORADIUS_RO sic 13 38 10 km STOREDIST d",
          "GEORADIUSBYMEMBER sic nosuch 10 km", "GEORADIUSBYMEMBER sic nosuch -10 km", "GEORADIUSBYMEMBER sic p00 -10 km",
          "GEORADIUSBYMEMBER sic p00 10 furlongs", "GEORADIUSBYMEMBER sic p00 10 km STORE d WITHHASH",
          "GEORADIUSBYMEMBER_RO sic p00 10 km STOREDIST d",
          "GEORADIUSBYMEMBER nosuch nosuch abc def", "GEORADIUSBYMEMBER nosuch nosuch abc def WITHDIST COUNT 2",
          "GEORADIUSBYMEMBER nosuch nosuch abc def ANY", "GEORADIUSBYMEMBER nosuch nosuch abc def bogus",
          "GEORADIUS nosuch 13 38 10 km", "GEORADIUS nosuch 13 38 -10 km", "GEORADIUS nosuch 13 38 10 km STORE d WITHDIST",
          "GEORADIUS str 13 38 10 km", "GEORADIUS str 200 38 10 km", "GEORADIUSBYMEMBER str a b c", "GEOPOS str a", "GEOHASH str a",
          "GEODIST str a b", "GEODIST str a b parsecs", "GEODIST nosuch a b parsecs", "GEOSEARCHSTORE d str FROMLONLAT 1 1 BYRADIUS 1 km",
          "GEOSEARCHSTORE d sic FROMLONLAT 13 38 BYRADIUS 10 km WITHDIST", "GEOSEARCHSTORE d sic FROMLONLAT 13 38 BYRADIUS 10 km WITHCOORD STOREDIST",
          "GEOSEARCHSTORE d sic FROMLONLAT 13 38 BYRADIUS 10 km STORE x", "GEOSEARCHSTORE d sic FROMLONLAT 13 38 BYRADIUS 10 km STOREDIST x",
          "GeoSearchStore d sic BYRADIUS 10 km", "GEOSEARCHSTORE d sic FROMLONLAT 13 38 COUNT 2", "GEOSEARCHSTORE d sic FROMLONLAT 13 38 BYRADIUS 10 km ANY",
          "GEOSEARCH sic FROMLONLAT 13 38 BYRADIUS 10 km WITHDIST", "GEORADIUS sic 13 38 10 km WITHDIST",
          "GEOSEARCH", "GEORADIUS sic 1 2 3", "GEOADD k 1 2", "GEODIST k a", "GEOPOS"]:
    cmd(e)
cmd("EXISTS d")
c("")
c("STORE and STOREDIST: a sorted set of the geohash scores or the distances (in the unit")
c("asked), without the source's TTL, replacing any type; an empty result deletes it.")
cmd("GEORADIUS sic 13 38 60 km STORE near"); cmd("ZRANGE near 0 -1 WITHSCORES"); cmd("OBJECT ENCODING near")
cmd("GEORADIUS sic 13 38 60 km STOREDIST neard"); cmd("ZRANGE neard 0 -1 WITHSCORES")
cmd("GEORADIUS sic 13 38 60 km STOREDIST neard STORE near2"); cmd("EXISTS neard"); cmd("ZRANGE near2 0 -1 WITHSCORES")
cmd("GEORADIUS sic 13 38 200 km COUNT 4 DESC STOREDIST far"); cmd("ZRANGE far 0 -1 WITHSCORES")
cmd("GEORADIUS sic 13 38 200 km COUNT 3 ANY STORE anyk"); cmd("ZRANGE anyk 0 -1 WITHSCORES")
cmd("GEORADIUSBYMEMBER sic p03 30 mi STOREDIST bym"); cmd("ZRANGE bym 0 -1 WITHSCORES")
cmd("GEORADIUSBYMEMBER sic p03 100000 ft STORE bym"); cmd("ZRANGE bym 0 -1 WITHSCORES")
cmd("SET strdst v EX 100"); cmd("GEORADIUS sic 13 38 40 km STORE strdst"); cmd("TYPE strdst"); cmd("TTL strdst")
cmd("GEORADIUS sic 0 0 1 km STORE strdst"); cmd("EXISTS strdst")
cmd("GEORADIUS nosuch 0 0 1 km STORE near"); cmd("EXISTS near")
cmd("GEORADIUSBYMEMBER nosuch x y z STORE near2"); cmd("EXISTS near2")
cmd("GEOSEARCHSTORE gs sic FROMLONLAT 13 38 BYRADIUS 60 km"); cmd("ZRANGE gs 0 -1 WITHSCORES")
cmd("GEOSEARCHSTORE gs sic FROMLONLAT 13 38 BYBOX 100 100 km STOREDIST ASC COUNT 5"); cmd("ZRANGE gs 0 -1 WITHSCORES")
cmd("GEOSEARCHSTORE gs sic FROMMEMBER p07 BYRADIUS 50000 ft STOREDIST"); cmd("ZRANGE gs 0 -1 WITHSCORES")
cmd("GEOSEARCHSTORE gs sic FROMMEMBER p07 BYRADIUS 1 m"); cmd("ZRANGE gs 0 -1 WITHSCORES")
cmd("GEOSEARCHSTORE gs sic FROMLONLAT 0 0 BYRADIUS 1 m"); cmd("EXISTS gs")
cmd("GEOSEARCHSTORE gs nosuch FROMMEMBER p07 BYRADIUS 1 m"); cmd("GEOSEARCHSTORE sic sic FROMLONLAT 13 38 BYRADIUS 30 km"); cmd("ZRANGE sic 0 -1 WITHSCORES")
cmd("GEOADD long 13 38 " + "m" * 70 + " 13.1 38 short"); cmd("GEOSEARCHSTORE lg long FROMLONLAT 13 38 BYRADIUS 100 km"); cmd("OBJECT ENCODING lg")
cmd("CONFIG SET zset-max-listpack-entries 2"); cmd("GEOSEARCHSTORE lg world FROMLONLAT 0 0 BYRADIUS 100 km"); cmd("OBJECT ENCODING lg")
cmd("GEOSEARCHSTORE lg world FROMLONLAT 0 0 BYRADIUS 1 km"); cmd("OBJECT ENCODING lg"); cmd("CONFIG SET zset-max-listpack-entries 128")
c("")
c("Through scripts and transactions: coordinates reach Lua as strings (RESP2) or as doubles")
c("(RESP3), distances as strings; the geo set grows out of its listpack like any sorted set.")
cmd("""EVAL "return redis.call('GEOPOS', KEYS[1], 'Palermo', 'nosuch')" 1 Sicily""")
cmd("""EVAL "redis.setresp(3); local p = redis.call('GEOPOS', KEYS[1], 'Palermo')[1]; return {type(p[1]), tostring(p[1]['double']), p[2]['double'] > 38}" 1 Sicily""")
cmd("""EVAL "return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'WITHDIST', 'WITHCOORD', 'ASC')" 1 Sicily""")
cmd("""EVAL "return redis.pcall('geoSearch', KEYS[1], 'FROMLONLAT', 15, 37, 'WITHDIST', 'ASC')" 1 Sicily""")
cmd("MULTI"); cmd("GEOADD tx 1 1 a 2 2 b"); cmd("GEODIST tx a b km"); cmd("GEORADIUS tx 1 1 200 km STOREDIST txd"); cmd("ZRANGE txd 0 -1 WITHSCORES"); cmd("EXEC")
big = " ".join(f"{(i % 60) * 0.01 + 2:.2f} {(i // 60) * 0.01 + 45:.2f} b{i}" for i in range(130))
cmd("GEOADD big " + big); cmd("OBJECT ENCODING big"); cmd("GEOSEARCH big FROMLONLAT 2.3 45.01 BYRADIUS 2 km WITHDIST")
cmd("GEOSEARCH big FROMLONLAT 2.3 45.01 BYBOX 3 3 km COUNT 7"); cmd("GEOSEARCH big FROMLONLAT 2.3 45.01 BYRADIUS 3 km COUNT 7 ANY WITHHASH")
cmd("GEOSEARCHSTORE bigd big FROMLONLAT 2.3 45.01 BYRADIUS 100 km"); cmd("OBJECT ENCODING bigd"); cmd("ZCARD bigd")
c("")
c("Keyspace events: GEOADD is a zadd, the stores georadiusstore / geosearchstore (or a del),\n# every read of a missing source a keymiss.")
cmd("CONFIG SET notify-keyspace-events KEAm"); cmd("PSUBSCRIBE __keyevent@*__:*", "2")
def ev(): L.append("2<")
cmd("GEOADD ev 1 1 a"); ev()
cmd("GEOADD ev NX 1 1 a"); cmd("SET marker 1"); ev()
cmd("GEOADD ev XX CH 2 2 a"); ev()
cmd("GEORADIUS ev 1 1 500 km STORE evd"); ev()
cmd("GEOSEARCHSTORE evd ev FROMLONLAT 2 2 BYRADIUS 1 km STOREDIST"); ev()
cmd("GEOSEARCHSTORE evd ev FROMLONLAT 50 50 BYRADIUS 1 km"); ev()
cmd("GEOSEARCHSTORE evd ev FROMLONLAT 50 50 BYRADIUS 1 km"); cmd("SET marker 2"); ev()
cmd("GEORADIUS nosuch 1 1 1 km STOREDIST ev"); ev(); ev()
cmd("GEOPOS nosuch a"); ev()
cmd("GEOSEARCH nosuch FROMLONLAT 1 1 BYRADIUS 1 km"); ev()
cmd("GEODIST nosuch a b"); ev()
cmd("GEOHASH Sicily a"); cmd("SET marker 3"); ev()
cmd("CONFIG SET notify-keyspace-events \"\"")
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "transcripts", "geo.txt"), "w").write("\n".join(L) + "\n")
