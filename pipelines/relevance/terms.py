"""The words relevance counts: what the project covers (manufacturing, industry and
investment), in English and in Simplified Chinese (bodies are folded before matching).

Each entry is one topic term however it is inflected; a term counts once per article. The
lists leave out words that off-topic reports in the region use as readily (tourism, culture,
sport: "industry" alone is in, "cultural industry" is not counted apart from it).
"""

from __future__ import annotations

ENGLISH_TERMS: dict[str, str] = {
    "manufacturing": r"manufactur(?:e|es|ed|ing|er|ers)",
    "industrial": r"industrial(?:ly)?|industr(?:y|ies)",
    "investment": r"invest(?:s|ed|ing|ment|ments|or|ors)?|fdi",
    "factory": r"factor(?:y|ies)|production (?:line|base|plant)s?|plants? (?:for|to produce)",
    "enterprises": r"enterprises?|firms?|companies",
    "output": r"output|gdp|gross domestic product|added value|revenue",
    "trade": r"exports?|imports?|foreign trade",
    "projects": r"projects?|deals?|contracts? (?:signed|inked)",
    "signing": r"signed|signing|inked",
    "technology sectors": r"semiconductors?|chips?|integrated circuits?|biomedic(?:ine|al)|"
    r"biopharma\w*|pharmaceuticals?|new energy|electric vehicles?|nevs?|automo(?:tive|biles?)|"
    r"batter(?:y|ies)|equipment|materials",
    "zones": r"industrial parks?|development zones?|high-tech zones?|economic zones?",
    "economy": r"econom(?:y|ic|ies)",
}

CHINESE_TERMS: dict[str, tuple[str, ...]] = {
    "manufacturing": ("制造",),
    "industrial": ("工业", "产业"),
    "investment": ("投资", "招商", "外资"),
    "factory": ("工厂", "厂房", "生产线", "生产基地", "投产"),
    "enterprises": ("企业",),
    "output": ("产值", "增加值", "生产总值", "GDP", "营业收入", "营收"),
    "trade": ("进出口", "外贸", "出口"),
    "projects": ("项目",),
    "signing": ("签约", "开工"),
    "technology sectors": (
        "集成电路",
        "半导体",
        "芯片",
        "生物医药",
        "新能源",
        "汽车",
        "电池",
        "装备",
        "新材料",
    ),
    "zones": ("园区", "开发区", "高新区", "经开区"),
    "economy": ("经济",),
}
