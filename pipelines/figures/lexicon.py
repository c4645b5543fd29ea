"""Words that turn a number into a figure: scales, currencies, units, qualifiers, metrics.

Kept as data (tuples of surface pattern -> meaning) so a new currency or unit is one line, and
compiled once into alternations ordered longest first, so "square kilometres" wins over "square".
Every pattern is a plain alternation of literals with bounded optional parts: no nested
quantifiers, so matching stays linear in the text length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# ---------------------------------------------------------------------------- scales
EN_SCALES: dict[str, float] = {
    "hundred million": 1e8,
    "hundred thousand": 1e5,
    "hundred": 1e2,
    "ten thousand": 1e4,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "mln": 1e6,
    "mn": 1e6,
    "bln": 1e9,
    "bn": 1e9,
    "trn": 1e12,
    "trln": 1e12,
    "tln": 1e12,
    "tn": 1e12,
}
# single letters only count as scales when glued to a currency amount: "$3m", "US$1.2b"
EN_SCALE_LETTERS: dict[str, float] = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}

ZH_SCALES: dict[str, float] = {
    "万亿": 1e12,
    "千亿": 1e11,
    "百亿": 1e10,
    "十亿": 1e9,
    "亿": 1e8,
    "千万": 1e7,
    "百万": 1e6,
    "十万": 1e5,
    "万": 1e4,
    "千": 1e3,
}

# ---------------------------------------------------------------------------- currencies
# prefix forms written before the number: "US$10.9 billion", "RMB 30 million", "€5m"
CURRENCY_PREFIXES: dict[str, str] = {
    "US$": "USD",
    "U.S.$": "USD",
    "USD": "USD",
    "HK$": "HKD",
    "HKD": "HKD",
    "NT$": "TWD",
    "S$": "SGD",
    "SGD": "SGD",
    "A$": "AUD",
    "C$": "CAD",
    "$": "USD",
    "€": "EUR",
    "EUR": "EUR",
    "£": "GBP",
    "GBP": "GBP",
    "JPY": "JPY",
    "RMB": "CNY",
    "Rmb": "CNY",
    "rmb": "CNY",
    "CNY": "CNY",
    "¥": "CNY",
    "￥": "CNY",
    "人民币": "CNY",
    "美元": "USD",
}

# suffix forms written after the number and scale: "30 billion yuan", "30亿元", "8亿元人民币"
CURRENCY_SUFFIXES: dict[str, str] = {
    "yuan": "CNY",
    "Yuan": "CNY",
    "renminbi": "CNY",
    "RMB": "CNY",
    "CNY": "CNY",
    "U.S. dollars": "USD",
    "U.S. dollar": "USD",
    "US dollars": "USD",
    "US dollar": "USD",
    "USD": "USD",
    "dollars": "USD",
    "dollar": "USD",
    "Hong Kong dollars": "HKD",
    "HK dollars": "HKD",
    "HKD": "HKD",
    "Singapore dollars": "SGD",
    "euros": "EUR",
    "euro": "EUR",
    "EUR": "EUR",
    "yen": "JPY",
    "JPY": "JPY",
    "pounds sterling": "GBP",
    "pounds": "GBP",
    "GBP": "GBP",
    "won": "KRW",
    "Swiss francs": "CHF",
    "元人民币": "CNY",
    "元": "CNY",
    "人民币": "CNY",
    "美元": "USD",
    "美金": "USD",
    "欧元": "EUR",
    "日元": "JPY",
    "港元": "HKD",
    "港币": "HKD",
    "英镑": "GBP",
    "韩元": "KRW",
    "新加坡元": "SGD",
    "新台币": "TWD",
}

# ---------------------------------------------------------------------------- units
# surface -> (kind, unit as stored, factor to the kind's base unit)
UNITS: dict[str, tuple[str, str, float]] = {
    "percentage points": ("percentage_points", "pp", 1.0),
    "percentage point": ("percentage_points", "pp", 1.0),
    "个百分点": ("percentage_points", "pp", 1.0),
    "百分点": ("percentage_points", "pp", 1.0),
    "percent": ("percent", "%", 1.0),
    "per cent": ("percent", "%", 1.0),
    "pct": ("percent", "%", 1.0),
    "%": ("percent", "%", 1.0),
    "％": ("percent", "%", 1.0),
    "square kilometres": ("area", "km2", 1.0),
    "square kilometers": ("area", "km2", 1.0),
    "square kilometre": ("area", "km2", 1.0),
    "square kilometer": ("area", "km2", 1.0),
    "sq km": ("area", "km2", 1.0),
    "sq. km": ("area", "km2", 1.0),
    "square km": ("area", "km2", 1.0),
    "km squared": ("area", "km2", 1.0),
    "km^2": ("area", "km2", 1.0),
    "km2": ("area", "km2", 1.0),
    "km²": ("area", "km2", 1.0),
    "square metres": ("area", "m2", 1e-6),
    "square meters": ("area", "m2", 1e-6),
    "square metre": ("area", "m2", 1e-6),
    "square meter": ("area", "m2", 1e-6),
    "sq m": ("area", "m2", 1e-6),
    "sq. m": ("area", "m2", 1e-6),
    "m2": ("area", "m2", 1e-6),
    "m²": ("area", "m2", 1e-6),
    "hectares": ("area", "ha", 1e-2),
    "hectare": ("area", "ha", 1e-2),
    "acres": ("area", "acre", 4.0468564224e-3),
    "acre": ("area", "acre", 4.0468564224e-3),
    "mu": ("area", "mu", 1 / 1500),
    "平方公里": ("area", "km2", 1.0),
    "平方千米": ("area", "km2", 1.0),
    "平方米": ("area", "m2", 1e-6),
    "平米": ("area", "m2", 1e-6),
    "公顷": ("area", "ha", 1e-2),
    "亩": ("area", "mu", 1 / 1500),
    "metric tons": ("weight", "t", 1.0),
    "tonnes": ("weight", "t", 1.0),
    "tonne": ("weight", "t", 1.0),
    "tons": ("weight", "t", 1.0),
    "ton": ("weight", "t", 1.0),
    "t": ("weight", "t", 1.0),
    "kilograms": ("weight", "kg", 1e-3),
    "kilogram": ("weight", "kg", 1e-3),
    "kg": ("weight", "kg", 1e-3),
    "吨": ("weight", "t", 1.0),
    "公斤": ("weight", "kg", 1e-3),
    "千克": ("weight", "kg", 1e-3),
    "cubic metres": ("volume", "m3", 1.0),
    "cubic meters": ("volume", "m3", 1.0),
    "m3": ("volume", "m3", 1.0),
    "m³": ("volume", "m3", 1.0),
    "litres": ("volume", "L", 1e-3),
    "liters": ("volume", "L", 1e-3),
    "立方米": ("volume", "m3", 1.0),
    "kilowatt-hours": ("energy", "kWh", 1.0),
    "kilowatt hours": ("energy", "kWh", 1.0),
    "kWh": ("energy", "kWh", 1.0),
    "MWh": ("energy", "MWh", 1e3),
    "GWh": ("energy", "GWh", 1e6),
    "TWh": ("energy", "TWh", 1e9),
    "Wh": ("energy", "Wh", 1e-3),
    "千瓦时": ("energy", "kWh", 1.0),
    "兆瓦时": ("energy", "MWh", 1e3),
    "吉瓦时": ("energy", "GWh", 1e6),
    "度电": ("energy", "kWh", 1.0),
    "watts": ("capacity", "W", 1e-3),
    "watt": ("capacity", "W", 1e-3),
    "kilowatts": ("capacity", "kW", 1.0),
    "kilowatt": ("capacity", "kW", 1.0),
    "megawatt": ("capacity", "MW", 1e3),
    "gigawatt": ("capacity", "GW", 1e6),
    "kW": ("capacity", "kW", 1.0),
    "megawatts": ("capacity", "MW", 1e3),
    "MW": ("capacity", "MW", 1e3),
    "gigawatts": ("capacity", "GW", 1e6),
    "GW": ("capacity", "GW", 1e6),
    "千瓦": ("capacity", "kW", 1.0),
    "TEUs": ("count", "TEU", 1.0),
    "TEU": ("count", "TEU", 1.0),
    "标准箱": ("count", "TEU", 1.0),
    "标箱": ("count", "TEU", 1.0),
    "兆瓦": ("capacity", "MW", 1e3),
    "吉瓦": ("capacity", "GW", 1e6),
}
# labels that only describe figures of these kinds ("area" words say nothing of money)
METRIC_KINDS: dict[str, frozenset[str]] = {
    "area": frozenset({"area"}),
    "share": frozenset({"percent", "percentage_points"}),
}
# what a count counts, by the head noun of `counted`, when no metric word says more
COUNT_METRICS: dict[str, tuple[str, ...]] = {
    "companies": ("companies", "enterprises", "firms", "businesses", "manufacturers", "makers",
                  "suppliers", "企业", "公司", "厂商", "商户", "市场主体"),
    "projects": ("projects", "项目"),
    "employment": ("employees", "workers", "jobs", "staff", "talents", "员工", "职工", "岗位", "人才"),
    "participants": ("visitors", "buyers", "participants", "attendees", "guests", "exhibitors",
                     "tourists", "delegates", "客商", "观众", "游客", "嘉宾", "展商"),
    "events": ("events", "activities", "exhibitions", "forums", "conferences", "shows",
               "performances", "活动", "展会", "论坛"),
    "vehicles": ("vehicles", "cars", "trucks", "buses", "辆", "汽车", "整车"),
    "parks": ("parks", "zones", "园区", "开发区"),
    "patents": ("patents", "专利"),
    "products": ("products", "产品"),
}  # fmt: skip
BASE_UNITS: dict[str, str] = {
    "percent": "%",
    "percentage_points": "pp",
    "area": "km2",
    "weight": "t",
    "volume": "m3",
    "energy": "kWh",
    "capacity": "kW",
    "count": "items",
    "rank": "rank",
}

# durations and calendar words: a number followed by one of these is never a figure here
EN_TIME_WORDS = (
    "years", "year", "months", "month", "weeks", "week", "days", "day", "hours", "hour",
    "minutes", "minute", "seconds", "decades", "decade", "centuries", "century", "times",
    "o'clock", "o’clock", "am", "pm", "a.m.", "p.m.",
    # lengths and speeds are not figures this project tracks
    "kilometers", "kilometres", "kilometer", "kilometre", "km", "meters", "metres", "meter",
    "metre", "miles", "mile", "km/h",
)  # fmt: skip
ZH_NON_FIGURE_SUFFIXES = "年月日天周时分秒岁届期次号路楼层室栋幢线米"

# classifiers that make a Chinese number a count: "61个项目", "20家企业", "三个万亿级产业"
ZH_CLASSIFIERS = "个家项名位座台套件批场所条种户人只辆艘架款片"

EN_NUMBER_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "a": 1, "an": 1,
}  # fmt: skip
EN_ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
ZH_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9,
}  # fmt: skip
ZH_SMALL_UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}

# ---------------------------------------------------------------------------- qualifiers
# qualifier as written -> bound
QUALIFIERS_BEFORE: dict[str, str] = {
    "more than": ">", "over": ">", "above": ">", "exceeding": ">", "in excess of": ">",
    "upwards of": ">", "at least": ">=", "no less than": ">=", "not less than": ">=",
    "no fewer than": ">=", "nearly": "<", "almost": "<", "close to": "<", "just under": "<",
    "about": "~", "around": "~", "roughly": "~", "approximately": "~", "approx.": "~",
    "exceed": ">", "exceeds": ">", "exceeded": ">", "surpassed": ">", "surpass": ">",
    "surpasses": ">", "突破": ">",
    "some": "~", "an estimated": "~", "up to": "<=", "as much as": "<=", "as many as": "<=",
    "at most": "<=", "no more than": "<=", "less than": "<", "fewer than": "<", "under": "<",
    "below": "<",
    "超过": ">", "逾": ">", "超": ">", "多于": ">", "高于": ">", "至少": ">=", "不少于": ">=",
    "不低于": ">=", "近": "<", "将近": "<", "接近": "<", "约": "~", "大约": "~", "约合": "~",
    "近乎": "<", "不到": "<", "不足": "<", "低于": "<", "不超过": "<=", "最多": "<=",
}  # fmt: skip
QUALIFIERS_AFTER: dict[str, str] = {
    "or more": ">=", "and above": ">=", "or above": ">=", "plus": ">=", "or so": "~",
    "以上": ">=", "左右": "~", "上下": "~", "以下": "<=", "以内": "<=",
}  # fmt: skip
QUALIFIERS_INSIDE: dict[str, str] = {
    "余": ">",
    "多": ">",
    "几": ">",
}  # "30余亿元", "100多家", "二十几万"

# ---------------------------------------------------------------------------- change
EN_CHANGE_UP = (
    "up", "rise", "rising", "rose", "risen", "rises", "increase", "increased", "increasing",
    "increases", "grew", "grow", "grows", "growing", "growth", "surge", "surged", "surging",
    "jump", "jumped", "jumping", "climb", "climbed", "climbing", "soared", "soaring", "gain",
    "gained", "expanded", "expanding", "higher", "more",
)  # fmt: skip
EN_CHANGE_DOWN = (
    "down", "fall", "fell", "falling", "fallen", "drop", "dropped", "dropping", "decline",
    "declined", "declining", "decrease", "decreased", "decreasing", "slid", "plunged",
    "shrank", "contracted", "lower", "less", "fewer",
)  # fmt: skip
ZH_CHANGE_UP = ("增长", "增加", "提高", "提升", "上升", "上涨", "扩大", "增幅", "增速", "增")
ZH_CHANGE_DOWN = ("下降", "减少", "降低", "下滑", "回落", "下跌", "收窄", "缩小", "降幅", "降")

# ---------------------------------------------------------------------------- metrics
# label -> surface patterns (regex fragments, matched case-insensitively on word boundaries)
METRICS: dict[str, tuple[str, ...]] = {
    "GDP": ("regional GDP", "GDP", "gross domestic product", "economic output",
            "地区生产总值", "生产总值"),
    "industrial output": ("gross industrial output value", "gross industrial output",
                          "industrial output value", "industrial output",
                          "industrial production", "工业总产值", "工业产值"),
    "industrial value added": ("industrial added value", "industrial value added", "工业增加值"),
    "total investment": ("total investment", "计划总投资", "总投资"),
    "foreign investment": ("foreign direct investment", "foreign investment", "foreign capital",
                           "FDI", "实际使用外资", "利用外资", "外资"),
    "fixed-asset investment": ("fixed-asset investment", "fixed asset investment",
                               "固定资产投资"),
    "investment": ("investments", "investment", "invested", "invest", "投资"),
    "deals": ("deals", "deal", "contracts", "contract", "agreements", "signed", "签约",
              "协议", "合同"),
    "revenue": ("operating revenues", "operating revenue", "revenues", "revenue",
                "operating income", "turnover", "营业收入", "营收", "销售收入"),
    "tourism revenue": ("tourism revenue", "tourism income", "旅游总收入", "旅游收入"),
    "retail sales": ("retail sales", "社会消费品零售总额", "零售额"),
    "sales": ("sales", "sold", "销售额", "销量"),
    "foreign trade": ("foreign trade", "imports and exports", "import and export",
                      "进出口", "外贸"),
    "exports": ("exports", "exported", "export value", "出口"),
    "imports": ("imports", "imported", "import value", "进口"),
    "profit": ("net profit", "profits", "profit", "利润"),
    "tax revenue": ("tax revenue", "taxes", "税收"),
    "registered capital": ("registered capital", "注册资本"),
    "financing": ("financing", "fundraising", "raised", "融资", "募资", "募集资金"),
    "loans": ("loans", "贷款"),
    "orders": ("orders", "订单"),
    "throughput": ("cargo throughput", "container throughput", "throughput", "吞吐量", "运量"),
    "electricity": ("electricity consumption", "power generation", "electricity", "用电量",
                    "发电量"),
    "employment": ("employs", "employed", "employ", "jobs", "workforce", "就业", "用工"),
    "R&D spending": ("R&D", "research and development", "研发"),
    "market value": ("market capitalization", "market value", "市值"),
    "funds": ("special funds", "funds", "funding", "subsidies", "rewards", "rewarded",
              "reward", "资金", "补贴", "奖励"),
    "area": ("total area", "covering", "covers", "area", "占地", "面积"),
    "capacity": ("production capacity", "capacity", "产能"),
    "output": ("output value", "output", "production", "produced", "produces", "产值", "产量"),
    "share": ("accounted for", "accounting for", "accounts for", "account for", "share of",
              "proportion", "占比", "比重", "占"),
    "population": ("population", "residents", "人口"),
}  # fmt: skip


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of literal words, longest first so the longest surface wins."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
