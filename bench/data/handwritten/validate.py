"""Check the hand-written evaluation set: python3 validate.py [HS_CSV]

Exits non-zero and prints every problem found. Standard library only.
"""
import csv
import re
import sys
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
HS_CSV = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data/hs2022/harmonized-system.csv")

COMPANY_HEADER = ("external_id,role,name_ko,name_zh_hans,name_zh_hant,name_en,country,city,timezone,sectors,"
                  "hs_codes,description_ko,description_zh_hans,description_en,website,contact_name,"
                  "contact_email,contact_phone").split(",")
PRODUCT_HEADER = ("company_external_id,external_id,name_ko,name_zh_hans,name_en,hs_code,description_ko,"
                  "description_zh_hans,description_en,moq,price_min,price_max,currency").split(",")
SECTORS = {"consumer-goods", "ict", "hydrogen-energy", "machinery", "mobility", "bio-health", "food",
           "cosmetics", "startups", "services"}
GROUPS = ["coded_en", "coded_zh_hans", "text_en", "text_zh_hans", "text_zh_hant_tw", "text_zh_hant_hk", "name_only"]
LANGS = ["en", "zh_hans", "zh_hant_tw", "zh_hant_hk", "ko"]

problems = []


def err(msg):
    problems.append(msg)


def read(name, header):
    with open(HERE / name, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        head = next(reader)
        if head != header:
            err(f"{name}: header {head} != {header}")
        rows = []
        for n, raw in enumerate(reader, start=2):
            if len(raw) != len(header):
                err(f"{name}:{n}: {len(raw)} fields, expected {len(header)}")
                continue
            rows.append(dict(zip(header, raw)))
    return rows


hs = {}
with open(HS_CSV, encoding="utf-8", newline="") as f:
    for r in csv.DictReader(f):
        hs[r["hscode"]] = r["level"]


def check_hs(where, code):
    if not re.fullmatch(r"\d{4}|\d{6}", code):
        err(f"{where}: HS code {code!r} is not 4 or 6 digits")
    elif hs.get(code) not in ("4", "6"):
        err(f"{where}: HS code {code} not in HS 2022 at level 4 or 6")


def split(v):
    return [x for x in v.split(";") if x] if v else []


HANGUL = re.compile(r"[\uac00-\ud7a3]")
HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


def check_companies(name, rows, role):
    seen = set()
    for r in rows:
        w = f"{name}:{r['external_id']}"
        if r["external_id"] in seen:
            err(f"{w}: duplicate id")
        seen.add(r["external_id"])
        if r["role"] != role:
            err(f"{w}: role {r['role']}")
        if not any(r[k] for k in ("name_ko", "name_zh_hans", "name_zh_hant", "name_en")):
            err(f"{w}: no name")
        try:
            ZoneInfo(r["timezone"])
        except Exception:
            err(f"{w}: bad time zone {r['timezone']!r}")
        if not re.fullmatch(r"[A-Z]{2}", r["country"]):
            err(f"{w}: bad country {r['country']!r}")
        for s in split(r["sectors"]):
            if s not in SECTORS:
                err(f"{w}: unknown sector {s}")
        for c in split(r["hs_codes"]):
            check_hs(w, c)
        if r["contact_email"] and not r["contact_email"].endswith("example.com"):
            err(f"{w}: contact email not at example.com")
    return {r["external_id"]: r for r in rows}


sellers = check_companies("sellers.csv", read("sellers.csv", COMPANY_HEADER), "seller")
buyers = check_companies("buyers.csv", read("buyers.csv", COMPANY_HEADER), "buyer")

# Sellers: Korean, Seoul time, a quarter without codes, about half Korean-only.
for sid, r in sellers.items():
    if r["country"] != "KR" or r["timezone"] != "Asia/Seoul":
        err(f"sellers.csv:{sid}: not KR / Asia/Seoul")
    if not r["name_ko"] or not r["description_ko"]:
        err(f"sellers.csv:{sid}: Korean name and description required")
    n = len(re.findall(r"[.!?다]\s|[.!?다]$", r["description_ko"]))
    if not 2 <= n <= 5:
        err(f"sellers.csv:{sid}: description_ko has {n} sentences")
no_codes = sum(1 for r in sellers.values() if not r["hs_codes"])
ko_only = sum(1 for r in sellers.values()
              if not any(r[k] for k in ("name_zh_hans", "name_zh_hant", "name_en", "description_zh_hans", "description_en")))
with_en = sum(1 for r in sellers.values() if r["description_en"])
with_zh = sum(1 for r in sellers.values() if r["description_zh_hans"])
if len(sellers) < 48:
    err(f"only {len(sellers)} sellers")
if not 0.18 <= no_codes / len(sellers) <= 0.32:
    err(f"{no_codes} of {len(sellers)} sellers without HS codes (want about a quarter)")
if not 0.4 <= ko_only / len(sellers) <= 0.6:
    err(f"{ko_only} of {len(sellers)} sellers Korean-only (want about half)")

# Products.
products = read("products.csv", PRODUCT_HEADER)
per_seller = Counter()
pids = set()
for p in products:
    w = f"products.csv:{p['external_id']}"
    if p["external_id"] in pids:
        err(f"{w}: duplicate id")
    pids.add(p["external_id"])
    s = sellers.get(p["company_external_id"])
    if s is None:
        err(f"{w}: unknown seller {p['company_external_id']}")
        continue
    per_seller[p["company_external_id"]] += 1
    if p["hs_code"]:
        check_hs(w, p["hs_code"])
    if not p["name_ko"]:
        err(f"{w}: no Korean name")
    korean_only = not any(s[k] for k in ("name_en", "description_en", "name_zh_hans", "description_zh_hans"))
    if korean_only and any(p[k] for k in ("name_zh_hans", "name_en", "description_zh_hans", "description_en")):
        err(f"{w}: Korean-only seller has non-Korean product text")
    if not s["description_en"] and (p["name_en"] or p["description_en"]):
        err(f"{w}: English product text for a seller without English")
    if not s["description_zh_hans"] and (p["name_zh_hans"] or p["description_zh_hans"]):
        err(f"{w}: Chinese product text for a seller without Chinese")
    try:
        moq, lo, hi = int(p["moq"]), float(p["price_min"]), float(p["price_max"])
        if moq < 1 or lo <= 0 or hi < lo:
            err(f"{w}: moq/prices out of order")
    except ValueError:
        err(f"{w}: moq/prices not numeric")
    if p["currency"] != "USD":
        err(f"{w}: currency {p['currency']}")
for sid in sellers:
    if not 1 <= per_seller[sid] <= 4:
        err(f"products.csv: seller {sid} has {per_seller[sid]} products")

# Buyer groups.
with open(HERE / "buyer_groups.csv", encoding="utf-8", newline="") as f:
    reader = csv.reader(f)
    if next(reader) != ["external_id", "group"]:
        err("buyer_groups.csv: bad header")
    group_of = {}
    for row in reader:
        if row[0] in group_of:
            err(f"buyer_groups.csv: duplicate {row[0]}")
        group_of[row[0]] = row[1]
if set(group_of) != set(buyers):
    err(f"buyer_groups.csv and buyers.csv differ: {set(group_of) ^ set(buyers)}")
group_counts = Counter(group_of.values())
for g in GROUPS:
    if group_counts[g] < 7:
        err(f"group {g}: only {group_counts[g]} buyers")
for g in group_counts:
    if g not in GROUPS:
        err(f"unknown group {g}")
for bid, g in group_of.items():
    b = buyers.get(bid)
    if b is None:
        continue
    w = f"buyers.csv:{bid} ({g})"
    if b["country"] == "KR":
        err(f"{w}: buyer in KR")
    desc = {k: b[k] for k in ("description_ko", "description_zh_hans", "description_en")}
    if g.startswith("coded_"):
        if not b["hs_codes"]:
            err(f"{w}: coded buyer without HS codes")
    elif b["hs_codes"]:
        err(f"{w}: uncoded buyer with HS codes")
    if g in ("coded_en", "text_en"):
        if not desc["description_en"] or desc["description_ko"] or desc["description_zh_hans"]:
            err(f"{w}: want English description only")
    if g in ("coded_zh_hans", "text_zh_hans", "text_zh_hant_tw", "text_zh_hant_hk"):
        if not desc["description_zh_hans"] or desc["description_ko"] or desc["description_en"]:
            err(f"{w}: want Chinese description only")
        if g.startswith("text_zh") and (b["name_en"] or b["name_ko"]):
            err(f"{w}: Chinese-only buyer with a non-Chinese name")
    if g == "name_only" and (any(desc.values()) or b["hs_codes"] or b["sectors"]):
        err(f"{w}: name_only buyer with description, codes or sectors")

# Relevance.
with open(HERE / "relevance.csv", encoding="utf-8", newline="") as f:
    reader = csv.reader(f)
    if next(reader) != ["buyer_external_id", "seller_external_id", "grade"]:
        err("relevance.csv: bad header")
    rel = {}
    for n, row in enumerate(reader, start=2):
        b, s, g = row
        if b not in buyers:
            err(f"relevance.csv:{n}: unknown buyer {b}")
        if s not in sellers:
            err(f"relevance.csv:{n}: unknown seller {s}")
        if g not in ("1", "2", "3"):
            err(f"relevance.csv:{n}: grade {g}")
        if (b, s) in rel:
            err(f"relevance.csv:{n}: duplicate pair {b},{s}")
        rel[(b, s)] = int(g)
for bid in buyers:
    if not any(g == 3 for (b, _), g in rel.items() if b == bid):
        err(f"relevance.csv: buyer {bid} has no grade-3 seller")
grades = Counter(rel.values())

# Search queries.
with open(HERE / "search_queries.csv", encoding="utf-8", newline="") as f:
    reader = csv.reader(f)
    if next(reader) != ["query_id", "language", "query", "relevant_seller_ids"]:
        err("search_queries.csv: bad header")
    qids = set()
    lang_counts = Counter()
    for n, row in enumerate(reader, start=2):
        if len(row) != 4:
            err(f"search_queries.csv:{n}: {len(row)} fields")
            continue
        qid, lang, q, ids = row
        if qid in qids:
            err(f"search_queries.csv:{n}: duplicate {qid}")
        qids.add(qid)
        if lang not in LANGS:
            err(f"search_queries.csv:{n}: language {lang}")
        lang_counts[lang] += 1
        if not q.strip():
            err(f"search_queries.csv:{n}: empty query")
        if lang == "ko" and not HANGUL.search(q):
            err(f"search_queries.csv:{n}: ko query without Hangul")
        if lang.startswith("zh") and not HAN.search(q):
            err(f"search_queries.csv:{n}: zh query without Han characters")
        if lang == "en" and (HANGUL.search(q) or HAN.search(q)):
            err(f"search_queries.csv:{n}: en query with CJK")
        if not split(ids):
            err(f"search_queries.csv:{n}: no relevant sellers")
        for s in split(ids):
            if s not in sellers:
                err(f"search_queries.csv:{n}: unknown seller {s}")
for lang in LANGS:
    if lang_counts[lang] < 14:
        err(f"search_queries.csv: only {lang_counts[lang]} {lang} queries")
if len(qids) < 72:
    err(f"search_queries.csv: only {len(qids)} queries")

print(f"sellers {len(sellers)} (no HS codes {no_codes}, Korean-only {ko_only}, with English {with_en}, with Chinese {with_zh})")
print(f"products {len(products)}")
print(f"buyers {len(buyers)}: " + ", ".join(f"{g} {group_counts[g]}" for g in GROUPS))
print(f"relevance pairs {len(rel)}: " + ", ".join(f"grade {g} {grades[g]}" for g in (3, 2, 1)))
print(f"queries {len(qids)}: " + ", ".join(f"{lang} {lang_counts[lang]}" for lang in LANGS))
if problems:
    print(f"\n{len(problems)} problem(s):")
    for p in problems:
        print(" -", p)
    sys.exit(1)
print("OK")
