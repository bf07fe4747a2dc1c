"""Build `pipeline/enrich/data/places.json`: the gazetteer `pipeline.enrich.places` matches text
against.

Usage, from the repository root: python -m scripts.build_places

Countries are the UN members and observers, named from pycountry's Arabic ISO 3166-1 catalogue
(build time only) with the labels editors write where pycountry gives a long, untranslated or
misspelt form. Regions and cities are curated below. Entries read "label | alias | alias", one per
line or separated by ";". A word in AMBIGUOUS is never a name alone, only inside a longer alias.
"""

from __future__ import annotations

import gettext
import importlib.metadata
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pycountry

from pipeline.enrich import arabic

OUTPUT = Path(__file__).resolve().parent.parent / "pipeline" / "enrich" / "data" / "places.json"

UN_MEMBERS = re.findall(
    "[A-Z]{2}",
    """
AD AE AF AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN BO BR BS BT BW BY BZ CA CD CF CG
CH CI CL CM CN CO CR CU CV CY CZ DE DJ DK DM DO DZ EC EE EG ER ES ET FI FJ FM FR GA GB GD GE GH
GM GN GQ GR GT GW GY HN HR HT HU ID IE IL IN IQ IR IS IT JM JO JP KE KG KH KI KM KN KP KR KW KZ
LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MG MH MK ML MM MN MR MT MU MV MW MX MY MZ NA NE NG
NI NL NO NP NR NZ OM PA PE PG PH PK PL PT PW PY QA RO RS RU RW SA SB SC SD SE SG SI SK SL SM SN
SO SR SS ST SV SY SZ TD TG TH TJ TL TM TN TO TR TT TV TZ UA UG US UY UZ VC VE VN VU WS YE ZA ZM ZW
""",
)
"""The 193 member states (pycountry does not say which codes are members)."""
OBSERVERS = ["PS", "VA"]

COUNTRY_LABELS = {
    "AE": "الإمارات", "BD": "بنغلاديش", "BF": "بوركينا فاسو", "BN": "بروناي", "BO": "بوليفيا",
    "BY": "بيلاروسيا", "CD": "الكونغو الديمقراطية", "CL": "تشيلي", "FM": "ميكرونيزيا",
    "GB": "بريطانيا", "HU": "المجر", "IR": "إيران", "KG": "قيرغيزستان", "KN": "سانت كيتس ونيفيس",
    "KP": "كوريا الشمالية", "KR": "كوريا الجنوبية", "LA": "لاوس", "LI": "ليختنشتاين",
    "LT": "ليتوانيا", "MD": "مولدوفا", "ME": "الجبل الأسود", "MH": "جزر مارشال", "MT": "مالطا",
    "NI": "نيكاراغوا", "NZ": "نيوزيلندا", "OM": "سلطنة عمان", "PS": "فلسطين", "RS": "صربيا",
    "RU": "روسيا", "SA": "السعودية", "SB": "جزر سليمان", "SC": "سيشل",
    "ST": "ساو تومي وبرينسيب", "SY": "سوريا", "TL": "تيمور الشرقية", "TR": "تركيا",
    "TZ": "تنزانيا", "US": "الولايات المتحدة", "VA": "الفاتيكان",
    "VC": "سانت فنسنت والغرينادين", "VE": "فنزويلا", "VN": "فيتنام", "WS": "ساموا",
    "ZW": "زيمبابوي",
}  # fmt: skip
"""Where pycountry's Arabic name is a long form, untranslated, or not how news spells it."""

COUNTRY_ALIASES = {
    "AE": "الإمارات العربية المتحدة | دولة الإمارات",
    "AO": "أنجولا",
    "BA": "البوسنة",
    "BJ": "جمهورية بنين | دولة بنين | منتخب بنين",
    "BS": "البهاما",
    "BY": "روسيا البيضاء",
    "CD": "جمهورية الكونغو الديمقراطية | الكونغو كينشاسا",
    "CF": "إفريقيا الوسطى",
    "CG": "الكونغو برازافيل",
    "CI": "كوت ديفوار",
    "CL": "الشيلي",
    "CV": "كاب فيردي",
    "CZ": "جمهورية التشيك",
    "DK": "الدانمارك",
    "DO": "الدومينيكان",
    "GB": "المملكة المتحدة | بريطانيا العظمى",
    "GY": "غيانا",
    "HU": "هنغاريا",
    "KG": "قرغيزستان",
    "LU": "لوكسمبورج",
    "MD": "مولدافيا",
    "MK": "مقدونيا",
    "ML": "جمهورية مالي | دولة مالي | شمال مالي | منتخب مالي",
    "MM": "بورما",
    "MV": "المالديف",
    "MW": "مالاوي",
    "NP": "النيبال",
    "NZ": "نيوزلندا",
    "PE": "بيرو",
    "PL": "بولونيا",
    "PS": "دولة فلسطين",
    "PY": "باراغواي | باراجواي",
    "RU": "الاتحاد الروسي",
    "SA": "المملكة العربية السعودية",
    "SC": "السيشل | جزر سيشل",
    "SZ": "سوازيلاند",
    "TG": "التوغو | توجو",
    "TH": "تايلندا",
    "TL": "تيمور ليشتي",
    "TR": "الجمهورية التركية",
    "US": "الولايات المتحدة الأمريكية | الولايات المتحدة الأميركية | أمريكا | أميركا",
    "UY": "أوروغواي | أوروجواي",
    "VA": "دولة الفاتيكان",
    "VN": "الفيتنام",
}

REGIONS = {
    "MA": """
        طنجة تطوان الحسيمة; جهة الشرق | الجهة الشرقية; فاس مكناس; الرباط سلا القنيطرة
        بني ملال خنيفرة; الدار البيضاء سطات; مراكش آسفي; درعة تافيلالت
        سوس ماسة | جهة سوس | سوس ماسة درعة; كلميم واد نون | كلميم وادنون | كلميم وادي نون
        العيون الساقية الحمراء; الداخلة وادي الذهب | الداخلة واد الذهب
        اشتوكة أيت باها | شتوكة أيت باها; الحوز | إقليم الحوز""",
    "PS": "غزة | قطاع غزة | مدينة غزة; الضفة الغربية",
    "GB": "إنجلترا | إنكلترا; اسكتلندا | إسكتلندا; أيرلندا الشمالية",
    "ES": "كتالونيا | كاتالونيا | إقليم كتالونيا; جزر الكناري",
    "DK": "غرينلاند | جرينلاند",
    "UA": "القرم | شبه جزيرة القرم",
    "EG": "سيناء | شبه جزيرة سيناء",
    "SY": "الجولان | هضبة الجولان | مرتفعات الجولان",
    "IQ": "كردستان العراق | إقليم كردستان",
    "SD": "دارفور",
}
"""The 12 regions of Morocco, two provinces often in its news, and regions abroad in the news."""

CITIES = {
    "MA": """
        الرباط; الدار البيضاء | كازابلانكا; فاس; مراكش; طنجة; أكادير | أغادير; مكناس; وجدة
        تطوان; آسفي; تمارة; سلا; المحمدية | مدينة المحمدية | عمالة المحمدية; الناظور; بني ملال
        الجديدة | مدينة الجديدة | إقليم الجديدة; خريبكة; تازة; سطات; برشيد; العرائش; القصر الكبير
        الصويرة; ورزازات; الرشيدية; الحسيمة; تزنيت | تيزنيت; تارودانت; إنزكان; أيت ملول
        كلميم; العيون | مدينة العيون; الداخلة; السمارة; طانطان | طان طان; بوجدور; الفنيدق
        المضيق | مدينة المضيق; مرتيل; شفشاون; وزان | مدينة وزان | إقليم وزان; تاونات; صفرو
        إفران; ميدلت; خنيفرة; الخميسات; سيدي قاسم; سيدي سليمان; سيدي بنور; سيدي إفني
        بنسليمان | بن سليمان; بركان | مدينة بركان | إقليم بركان; جرادة; فجيج; زاكورة; تنغير
        أزيلال; الفقيه بن صالح; قلعة السراغنة; اليوسفية; شيشاوة; أصيلة | مدينة أصيلة""",
    "DZ": "الجزائر العاصمة; وهران; قسنطينة; عنابة; تلمسان; تندوف; تمنراست",
    "TN": """تونس العاصمة; صفاقس; سوسة; القيروان; بنزرت; قابس; جربة; المنستير; قفصة
        سيدي بوزيد""",
    "LY": "بنغازي; مصراتة; سرت | مدينة سرت; سبها; درنة; طبرق",
    "EG": """القاهرة; الإسكندرية; الجيزة; الأقصر; أسوان; بورسعيد | بور سعيد; السويس
        شرم الشيخ; الإسماعيلية; الغردقة; طنطا; العريش""",
    "SD": "الخرطوم; أم درمان; بورتسودان | بور سودان; الفاشر",
    "MR": "نواكشوط; نواذيبو",
    "LB": "بيروت; صيدا; صور | مدينة صور; بعلبك",
    "SY": """دمشق; حلب; حمص; حماة | مدينة حماة | محافظة حماة | ريف حماة; إدلب; اللاذقية
        طرطوس; دير الزور; الرقة | مدينة الرقة | محافظة الرقة | ريف الرقة; درعا; السويداء
        القامشلي; الحسكة; تدمر | مدينة تدمر; منبج; عفرين""",
    "JO": """عمان | العاصمة الأردنية عمان | العاصمة عمان | مدينة عمان; إربد; البتراء
        الزرقاء | مدينة الزرقاء; العقبة | مدينة العقبة""",
    "PS": """رام الله; خان يونس; رفح; نابلس; الخليل; جنين | مدينة جنين | مخيم جنين; بيت لحم
        أريحا; طولكرم; قلقيلية""",
    "IL": "تل أبيب; حيفا; يافا; إيلات",
    "IQ": "بغداد; البصرة; الموصل; أربيل; كركوك; النجف; كربلاء; الفلوجة; السليمانية",
    "SA": """الرياض; جدة | مدينة جدة | محافظة جدة; مكة | مكة المكرمة; المدينة المنورة; الدمام
        الطائف; تبوك""",
    "AE": "أبوظبي | أبو ظبي; دبي; الشارقة; العين | مدينة العين",
    "QA": "الدوحة",
    "BH": "المنامة",
    "KW": "مدينة الكويت",
    "OM": "مسقط; صلالة",
    "YE": "صنعاء; عدن; تعز; الحديدة; مأرب; المكلا; صعدة",
    "SO": "مقديشو",
    "TR": "إسطنبول | اسطنبول | استانبول; أنقرة; إزمير; أنطاليا; غازي عنتاب",
    "IR": "طهران; أصفهان",
    "FR": "باريس; مرسيليا; تولوز; بوردو; ستراسبورغ | ستراسبورج; نانت; مونبلييه",
    "BE": "بروكسل; أنتويرب | أنفرس; لييج; شارلروا",
    "NL": "أمستردام; لاهاي; روتردام",
    "ES": """مدريد; إشبيلية; فالنسيا | بلنسية; ملقة | مالقة; غرناطة; قرطبة
        الجزيرة الخضراء""",
    "PT": "لشبونة",
    "IT": "روما; ميلانو; نابولي; تورينو; فلورنسا",
    "DE": "برلين; ميونخ | ميونيخ; فرانكفورت; هامبورغ; كولونيا; دوسلدورف",
    "GB": "لندن; برمنغهام; إدنبرة; غلاسكو",
    "CH": "جنيف; زيورخ; لوزان; دافوس",
    "AT": "فيينا",
    "GR": "أثينا",
    "PL": "وارسو",
    "HU": "بودابست",
    "CZ": "براغ",
    "SE": "ستوكهولم",
    "NO": "أوسلو",
    "DK": "كوبنهاغن | كوبنهاجن",
    "FI": "هلسنكي",
    "IE": "دبلن",
    "RU": "موسكو; سانت بطرسبورغ",
    "UA": "كييف",
    "US": """واشنطن; نيويورك; لوس أنجلوس | لوس أنجليس; شيكاغو; سان فرانسيسكو; ميامي; هيوستن
        بوسطن; لاس فيغاس""",
    "CA": "أوتاوا; تورنتو | تورونتو; مونتريال",
    "CN": "بكين; شنغهاي; هونغ كونغ | هونج كونج",
    "JP": "طوكيو",
    "KR": "سيول",
    "KP": "بيونغ يانغ",
    "IN": "نيودلهي | نيو دلهي; مومباي",
    "PK": "إسلام آباد; كراتشي; لاهور",
    "AF": "كابول",
    "BR": "برازيليا; ريو دي جانيرو; ساو باولو",
    "AR": "بوينس آيرس",
    "SN": "داكار",
    "CI": "أبيدجان",
    "NG": "لاغوس; أبوجا",
    "KE": "نيروبي",
    "ET": "أديس أبابا",
    "ZA": "جوهانسبرغ; كيب تاون; بريتوريا",
    "ML": "باماكو",
    "NE": "نيامي",
    "BF": "واغادوغو",
    "AU": "سيدني; ملبورن; كانبيرا",
    "ID": "جاكرتا",
    "": "القدس; سبتة; مليلية; طرابلس; القنيطرة",
}
"""Main Moroccan cities, Arab capitals and cities often in the news. No country code ("") where the
name is shared by two cities (طرابلس، القنيطرة) or the city's country is disputed."""

AMBIGUOUS = """
عمان صور مالي بنين جنين حماة جدة الجديدة العيون أصيلة بركان المضيق المحمدية سرت تدمر الرقة
الزرقاء العقبة العين وزان
"""
"""Ordinary words ("صور" pictures, "مالي" financial, "الجديدة" new) or names of two places
("عمان" Oman and Amman): matched only inside a longer alias ("مدينة صور", "سلطنة عمان")."""

STRICT_TA_MARBUTA = ["وجدة"]
"""Names whose ة must be written: "وجده" (found him) is a common verb, "وجدة" the city."""

NOT_PLACES = """
المغرب العربي; صلاة المغرب; أذان المغرب; القوة القاهرة; الظروف القاهرة; نصف قطر; نصف القطر
جوز الهند; مسقط رأس; مسقط رأسه; مسقط رأسها; مسقط رأسهم; الرباط الصليبي
أمريكا اللاتينية; أميركا اللاتينية; أمريكا الشمالية; أميركا الشمالية; أمريكا الجنوبية
أميركا الجنوبية; أمريكا الوسطى; أميركا الوسطى; ريال مدريد; أتلتيكو مدريد; أتليتكو مدريد
باريس سان جيرمان; باريس سان جرمان; بايرن ميونخ; بايرن ميونيخ; أولمبيك مرسيليا
نيويورك تايمز; واشنطن بوست; لوس أنجلوس تايمز; عرق السوس; بروسيا دورتموند; الجهة الشرقية من
بوروسيا دورتموند
"""
"""Phrases that contain a place name but name something else: matched first, then dropped."""

_AND_SPACE = re.compile(r"\s+و\s+")
_LATIN = re.compile("[A-Za-z]")


def _entries(block: str) -> Iterator[list[str]]:
    for entry in re.split(r"[;\n]", block):
        names = [name.strip() for name in entry.split("|") if name.strip()]
        if names:
            yield names


def _key(name: str) -> str:
    """A name as `pipeline.enrich.places` reads it: folded words, a hyphen read as a space."""
    return " ".join(arabic.normalize(word) for word in arabic.tokenize(name.replace("-", " ")))


def _clean(name: str) -> str:
    """pycountry's spelling, as news writes it: no shadda, "و" joined to the next word."""
    return _AND_SPACE.sub(" و", arabic.strip_marks(name)).strip()


def _pycountry_names(code: str, arabic_names: gettext.NullTranslations) -> list[str]:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        raise ValueError(f"pycountry has no country {code}")
    names: list[str] = []
    for field in ("name", "official_name"):
        english = getattr(country, field, None)
        if english is None:
            continue
        name = _clean(arabic_names.gettext(english))
        if name != english and not _LATIN.search(name) and not re.search("[،(]", name):
            names.append(name)
    return names


def _countries() -> list[dict[str, object]]:
    arabic_names = gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=["ar"], fallback=False
    )
    places = []
    for code in UN_MEMBERS + OBSERVERS:
        found = _pycountry_names(code, arabic_names)
        label = COUNTRY_LABELS.get(code) or found[0]
        aliases = [a.strip() for a in COUNTRY_ALIASES.get(code, "").split("|") if a.strip()]
        places.append(_place(label, "country", code, [label, *found, *aliases]))
    return places


def _place(label: str, kind: str, country: str | None, names: list[str]) -> dict[str, object]:
    ambiguous = {_key(word) for word in AMBIGUOUS.split()}
    kept: dict[str, str] = {}
    for name in names:
        if _key(name) not in ambiguous:
            kept.setdefault(_key(name), name)
    if not kept:
        raise ValueError(f"{label}: every name is ambiguous")
    return {"label": label, "kind": kind, "country": country, "names": list(kept.values())}


def _curated(table: dict[str, str], kind: str) -> list[dict[str, object]]:
    return [
        _place(names[0], kind, code or None, names)
        for code, block in table.items()
        for names in _entries(block)
    ]


def _check(places: list[dict[str, object]], not_places: list[str]) -> None:
    """No two places share a slug or a name, no name is also a non-place phrase, and every
    name that must keep its ة is a name."""
    owner: dict[str, str] = {_key(phrase): "not a place" for phrase in not_places}
    slugs: set[str] = set()
    for place in places:
        label = str(place["label"])
        slug = arabic.slugify(label)
        if slug in slugs:
            raise ValueError(f"two places share the slug {slug}")
        slugs.add(slug)
        names = place["names"]
        assert isinstance(names, list)
        for name in names:
            if owner.setdefault(_key(name), label) != label:
                raise ValueError(f"{name} names both {owner[_key(name)]} and {label}")
    for name in STRICT_TA_MARBUTA:
        if _key(name) not in owner:
            raise ValueError(f"{name} must keep its ta marbuta but names no place")


def build() -> dict[str, object]:
    places = [*_countries(), *_curated(REGIONS, "region"), *_curated(CITIES, "city")]
    not_places = [name for names in _entries(NOT_PLACES) for name in names]
    _check(places, not_places)
    order = {"country": 0, "region": 1, "city": 2}
    places.sort(key=lambda p: (order[str(p["kind"])], str(p["country"] or ""), str(p["label"])))
    return {
        "source": f"pycountry {importlib.metadata.version('pycountry')} (iso3166-1, ar) "
        "for countries; regions, cities and short forms curated in scripts/build_places.py",
        "licence": "pycountry and its iso-codes translations: LGPL-2.1; curated lists: Apache-2.0",
        "built_by": "scripts/build_places.py",
        "places": places,
        "not_places": not_places,
        "strict_ta_marbuta": STRICT_TA_MARBUTA,
    }


def main() -> None:
    data = build()
    OUTPUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    places = data["places"]
    assert isinstance(places, list)
    counts = {
        kind: sum(p["kind"] == kind for p in places) for kind in ("country", "region", "city")
    }
    print(f"wrote {OUTPUT} ({counts})")


if __name__ == "__main__":
    main()
