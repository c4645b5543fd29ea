"""Generate the place gazetteer and name lexicons under crawler/data/ from maintained datasets.

Run once when the sources change; the outputs are committed, so the crawler itself needs
neither cpca, pypinyin nor babel at run time:

    python scripts/build_gazetteer.py           # writes crawler/data/{divisions,countries,t2s}.tsv, pinyin.txt
    python scripts/build_gazetteer.py --check   # rebuilds in memory; exit 1 if a committed file differs

The outputs depend on the versions of the sources, which the `gazetteer` extra pins (babel's CLDR
names changed in 2.18), so `--check` in `make test` proves the committed files are reproducible.

Sources (see crawler/data/README.md for licences):
- cpca's shipped ``resources/adcodes.csv`` (GB/T 2260 codes, Chinese names, coordinates) and
  ``resources/56_nations.csv`` (ethnic group names, stripped from autonomous-area names);
- pypinyin for the English (Hanyu Pinyin) names and for the set of valid pinyin syllables;
- babel's CLDR territory names (English and Chinese) for countries;
- OpenCC's character table (TSCharacters.txt, shipped in opencc-python-reimplemented) for the
  one-to-one traditional -> simplified map that lets the Chinese patterns read traditional text.
"""

from __future__ import annotations

import argparse
import csv
import importlib.resources
import io
import sys
from pathlib import Path

from babel import Locale
from pypinyin import Style, lazy_pinyin, pinyin

DATA = Path(__file__).resolve().parent.parent / "crawler" / "data"
YRD_PROVINCES = ("31", "32", "33", "34")  # Shanghai, Jiangsu, Zhejiang, Anhui
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "直辖县级行政区划"}

# Conventional English names that pinyin alone gets wrong or that differ from pinyin.
ENGLISH_OVERRIDES = {
    "内蒙古自治区": ("Inner Mongolia", ["Nei Mongol", "Inner Mongolia Autonomous Region"]),
    "西藏自治区": ("Tibet", ["Xizang", "Tibet Autonomous Region", "Xizang Autonomous Region"]),
    "香港特别行政区": ("Hong Kong", ["Hong Kong SAR", "Hongkong", "HKSAR"]),
    "澳门特别行政区": ("Macao", ["Macau", "Macao SAR", "Macau SAR"]),
    "陕西省": ("Shaanxi", ["Shaanxi Province"]),
    "山西省": ("Shanxi", ["Shanxi Province"]),
    "台湾省": ("Taiwan", []),
    "浦东新区": ("Pudong New Area", ["Pudong", "Pudong New District"]),
    # Established English names of non-Han place names (pinyin kept as an alias).
    "呼和浩特市": ("Hohhot", ["Huhehaote"]),
    "鄂尔多斯市": ("Ordos", ["E'erduosi"]),
    "呼伦贝尔市": ("Hulunbuir", ["Hulunbei'er"]),
    "巴彦淖尔市": ("Bayannur", ["Bayannao'er"]),
    "乌兰察布市": ("Ulanqab", ["Wulanchabu"]),
    "锡林郭勒盟": ("Xilingol League", ["Xilingol"]),
    "阿拉善盟": ("Alxa League", ["Alxa"]),
    "兴安盟": ("Hinggan League", ["Xing'an League"]),
    "哈尔滨市": ("Harbin", ["Ha'erbin"]),
    "齐齐哈尔市": ("Qiqihar", ["Qiqiha'er"]),
    "大兴安岭地区": ("Da Hinggan Ling Prefecture", ["Daxing'anling"]),
    "拉萨市": ("Lhasa", ["Lasa"]),
    "日喀则市": ("Shigatse", ["Rikaze"]),
    "昌都市": ("Qamdo", ["Changdu"]),
    "林芝市": ("Nyingchi", ["Linzhi"]),
    "那曲市": ("Nagqu", ["Naqu"]),
    "那曲地区": ("Nagqu", ["Naqu"]),
    "阿里地区": ("Ngari Prefecture", ["Ngari"]),
    "乌鲁木齐市": ("Urumqi", ["Wulumuqi"]),
    "克拉玛依市": ("Karamay", ["Kelamayi"]),
    "吐鲁番市": ("Turpan", ["Tulufan"]),
    "喀什地区": ("Kashgar Prefecture", ["Kashgar", "Kashi"]),
    "和田地区": ("Hotan Prefecture", ["Hotan", "Hetian"]),
    "阿克苏地区": ("Aksu Prefecture", ["Aksu"]),
    "塔城地区": ("Tacheng Prefecture", ["Tacheng"]),
    "阿勒泰地区": ("Altay Prefecture", ["Altay"]),
}
# Place-name readings where pypinyin's default reading is not the one used in the name.
READING_OVERRIDES = {
    "六安": "lu an",
    "蚌埠": "beng bu",
    "蚌山": "beng shan",
    "亳州": "bo zhou",
    "歙": "she",
    "黟": "yi",
    "丽水": "li shui",
    "乐清": "yue qing",
    "台州": "tai zhou",
    "长兴": "chang xing",
    "长宁": "chang ning",
    "长丰": "chang feng",
    "重庆": "chong qing",
    "厦门": "xia men",
    "枞阳": "zong yang",
    "涡阳": "guo yang",
    "埇桥": "yong qiao",
    "盱眙": "xu yi",
    "睢宁": "sui ning",
    "邗江": "han jiang",
    "句容": "ju rong",
    "溧阳": "li yang",
    "溧水": "li shui",
    "鄞州": "yin zhou",
    "嵊州": "sheng zhou",
    "泗洪": "si hong",
    "濉溪": "sui xi",
    "砀山": "dang shan",
    "番禺": "pan yu",
    "铅山": "yan shan",
    "洪洞": "hong tong",
    "蔚": "yu",
    "单": "shan",
    "莘": "shen",
    "栖霞": "qi xia",
    "会稽": "kuai ji",
    "大观": "da guan",
    "相城": "xiang cheng",
    "吴江": "wu jiang",
    "姑苏": "gu su",
    "虎丘": "hu qiu",
    "吴中": "wu zhong",
    "乐平": "le ping",
    "东阿": "dong e",
    "都江堰": "du jiang yan",
    "长沙": "chang sha",
    "闵行": "min hang",
    "朝阳": "chao yang",
    "漯河": "luo he",
    "吕梁": "lv liang",
    "长春": "chang chun",
    "长治": "chang zhi",
    "调兵山": "diao bing shan",
}
# (suffix, level-independent English word); longest first. Autonomous areas keep "Autonomous".
SUFFIXES = [
    ("特别行政区", ""),
    ("自治区", "Autonomous Region"),
    ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"),
    ("林区", "Forest District"),
    ("新区", "New Area"),
    ("地区", "Prefecture"),
    ("省", "Province"),
    ("市", "City"),
    ("区", "District"),
    ("县", "County"),
    ("旗", "Banner"),
    ("盟", "League"),
]


def adcodes() -> list[dict[str, str]]:
    path = importlib.resources.files("cpca") / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def nations() -> list[str]:
    path = importlib.resources.files("cpca") / "resources" / "56_nations.csv"
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    short = [n[:-1] for n in names if n.endswith("族") and len(n) > 2]
    return sorted(set(names + short), key=len, reverse=True)


def romanise(chinese: str) -> str:
    """Hanyu Pinyin written as one word, with the apostrophe before a/o/e syllables (Xi'an)."""
    if chinese in READING_OVERRIDES:
        syllables = READING_OVERRIDES[chinese].split()
    else:
        syllables = lazy_pinyin(chinese, style=Style.NORMAL, errors="ignore")
    word = ""
    for i, s in enumerate(syllables):
        word += ("'" if i and s[:1] in "aoe" else "") + s
    return word.capitalize()


def split_suffix(name: str) -> tuple[str, str]:
    for suffix, english in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], english
    return name, ""


def strip_ethnic(stem: str, ethnic: list[str]) -> str:
    """延边朝鲜族 -> 延边: ethnic group names trail the stem of autonomous-area names."""
    changed = True
    while changed:
        changed = False
        for n in ethnic:
            if stem.endswith(n) and len(stem) > len(n) + 1:
                stem, changed = stem[: -len(n)], True
    return stem


def english(name: str, level: str, ethnic: list[str]) -> tuple[str, list[str], str]:
    """Canonical English name, English aliases, and the short Chinese name."""
    stem, word = split_suffix(name)
    stem = strip_ethnic(stem, ethnic) if "Autonomous" in word else stem
    short_zh = stem if len(stem) >= 2 else ""
    if name in ENGLISH_OVERRIDES:
        canonical, aliases = ENGLISH_OVERRIDES[name]
        return canonical, list(aliases), short_zh
    base = romanise(stem)
    one_syllable = len(stem) == 1
    aliases: list[str] = []
    if level in ("province", "prefecture") and word in ("Province", "City", ""):
        canonical = base
        aliases.append(f"{base} {word or 'City'}")
        if level == "province" and word == "City":
            aliases.append(f"{base} Municipality")
    elif word == "City":  # county-level city
        canonical = base
        aliases.append(f"{base} City")
    else:
        canonical = f"{base} {word}".strip()
        if one_syllable and word in ("County", "District"):
            aliases.append(base + ("xian" if word == "County" else "qu"))
        elif not one_syllable and word in ("County", "District", "New Area", "Banner"):
            aliases.append(base)  # bare form ("Xiangcheng"); only used where unambiguous enough
    return canonical, aliases, short_zh


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def build_divisions() -> list[list[str]]:
    ethnic = nations()
    rows = []
    for rec in adcodes():
        code, name = rec["adcode"][:6], rec["name"]
        if name in PLACEHOLDERS or not rec["longitude"]:
            continue
        level = level_of(code)
        if level == "county" and code[:2] not in YRD_PROVINCES:
            continue
        canonical, aliases, short_zh = english(name, level, ethnic)
        if level == "province":
            parent = ""
        elif level == "prefecture" or code[2:4] == "90":
            parent = code[:2] + "0000"
        else:
            parent = code[:4] + "00"
            if code[2:4] in ("01", "02") and code[:2] in ("11", "12", "31", "50"):
                parent = code[:2] + "0000"  # districts of the four municipalities
        rows.append(
            [
                code,
                level,
                canonical,
                name,
                short_zh,
                "|".join(aliases),
                parent,
                f"{float(rec['latitude']):.6f}",
                f"{float(rec['longitude']):.6f}",
            ]
        )
    rows.sort()
    return rows


def build_countries() -> list[list[str]]:
    en, zh = Locale("en").territories, Locale("zh").territories
    rows = []
    for code, name in sorted(en.items()):
        if (
            len(code) != 2
            or not code.isalpha()
            or code in ("CN", "HK", "MO", "TW", "ZZ", "EU", "EZ", "UN", "QO")
        ):
            continue
        rows.append([code, name, zh.get(code, "")])
    rows.append(["CN", "China", "中国"])
    return sorted(rows)


def build_syllables() -> list[str]:
    found: set[str] = set()
    for cp in range(0x4E00, 0x9FA6):
        for reading in pinyin(chr(cp), style=Style.NORMAL, heteronym=True, errors="ignore"):
            found.update(r for r in reading if r.isalpha() and r.isascii())
    return sorted(found)


def build_t2s() -> list[list[str]]:
    """Traditional -> simplified, single characters only, so offsets stay valid after mapping."""
    path = importlib.resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        trad, _, simp = line.partition("\t")
        first = simp.split()[0] if simp.split() else ""
        if len(trad) == 1 and len(first) == 1 and trad != first:
            rows.append([trad, first])
    return rows


def tsv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter="\t", lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


DIVISION_COLUMNS = [
    "code", "level", "name", "name_zh", "short_zh", "aliases", "parent_code", "latitude", "longitude",
]  # fmt: skip


def build_files() -> dict[str, str]:
    """Every generated file's name and exact contents."""
    syllables = build_syllables()
    return {
        "divisions.tsv": tsv(DIVISION_COLUMNS, build_divisions()),
        "countries.tsv": tsv(["code", "name", "name_zh"], build_countries()),
        "t2s.tsv": tsv(["traditional", "simplified"], build_t2s()),
        "pinyin.txt": "\n".join(syllables) + "\n",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with crawler/data/ instead of writing"
    )
    args = parser.parse_args()
    files = build_files()
    if args.check:
        stale = [
            name
            for name, text in files.items()
            if not (DATA / name).is_file() or (DATA / name).read_text(encoding="utf-8") != text
        ]
        if stale:
            print(
                f"gazetteer: out of date or not reproducible: {', '.join(stale)}", file=sys.stderr
            )
            sys.exit(1)
        print(f"gazetteer: {len(files)} files in crawler/data/ reproduce byte for byte")
        return
    DATA.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (DATA / name).write_text(text, encoding="utf-8", newline="")
    print(f"gazetteer: wrote {', '.join(files)} to {DATA}")


if __name__ == "__main__":
    main()
