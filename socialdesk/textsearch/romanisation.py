"""Romanised Chinese names as written in Hong Kong, matched up to spelling variants.

The same Chinese name reaches the records in several spellings: the Immigration Department's
Cantonese romanisation on the identity card (陳 CHAN, 張 CHEUNG, 謝 TSE), Macau's
Portuguese-based one (CHEONG, IEONG, KUOK, VONG), Hanyu Pinyin for people born on the Mainland
(CHEN, ZHANG, XIE), Wade-Giles in older and Taiwanese documents (CHANG, HSIEH, KUO), and the
Hokkien, Teochew and Vietnamese spellings of families from South-East Asia (TAN, LIM, NGUYEN).

`SYLLABLE_CLASSES` groups spellings that denote the same Chinese syllable, usually the same
surname character(s); its first spelling is the class id used in index keys. It was compiled by
hand from the Cantonese readings (Jyutping, noted beside each class) of the most common surnames in
Hong Kong, the Immigration Department's spelling conventions, the Macau and Pinyin/Wade-Giles
readings of the same characters, and the variant spellings common in Hong Kong given names
(KEI/KEE/KI, YEE/YI, TSZ/CHI). Rules followed:

- Only spellings of the same syllable are put together: CHUN (秦, 俊) is not a variant of CHAN,
  FAI (輝) and FEI (飛) stay apart.
- Pinyin and Wade-Giles spellings are listed for surnames only. Mandarin readings of given-name
  characters map to too many Cantonese syllables (WEN: 文 MAN, 溫 WAN, 雲 WAN, 聞 MAN) to help;
  the Chinese-character keys cover given names.
- A spelling that may mean several syllables is listed in each class (LI: 李 LEE and 黎 LAI;
  XU: 許 HUI and 徐 TSUI), so a search finds every reading. A Mandarin spelling that is also the
  usual Hong Kong spelling of another common surname is left out (KONG for 孔 would make every KONG
  match every HUNG; TANG for 唐 every TANG match every TONG).
- A spelling that means a Cantonese syllable of its own as well as a variant elsewhere gets a class
  of its own too (YAN: 欣/恩 and the Pinyin of 顏, 嚴), so that it keeps its own identity.

Extend the table by adding a tuple; keep the class id (first spelling) unique.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

# fmt: off
SYLLABLE_CLASSES: Final[tuple[tuple[str, ...], ...]] = (
    # Surnames, roughly by frequency in Hong Kong. Comment: characters, Jyutping.
    ("CHAN", "CHEN", "TAN", "TRAN"),                       # 陳 can4 (TAN Hokkien, TRAN Vietnamese)
    ("WONG", "WANG", "HUANG", "VONG", "HWANG", "ONG", "HOANG", "VUONG"),  # 黃 王 汪 wong4
    ("LEE", "LI", "LEI", "LY", "LIE"),                     # 李 利 lei5/6 (LEI Macau, LY Vietnamese)
    ("CHEUNG", "ZHANG", "CHANG", "CHEONG", "CHIANG", "JIANG", "TEO", "TRUONG"),  # 張 章 蔣 zoeng1
    ("LAM", "LIN", "LIM", "LAN"),                          # 林 lam4, 藍 laam4 (LIM Hokkien)
    ("HO", "HE"),                                          # 何 賀 ho4/6; 浩 豪 hou6/4
    ("NG", "WU", "NGO", "GOH"),                            # 吳 伍 ng4/5
    ("LAU", "LIU", "LAO", "LOW"),                          # 劉 柳 lau4/5 (LAO Macau, LOW Malaysia)
    ("LEUNG", "LIANG", "LEONG"),                           # 梁 loeng4
    ("CHENG", "ZHENG", "CHEANG", "TEH", "TAY", "TRINH"),   # 鄭 zeng6
    ("YEUNG", "YANG", "YEONG", "IEONG", "YEO", "DUONG"),   # 楊 陽 joeng4
    ("LAI", "LI", "LE"),                                   # 黎 賴 禮 麗 lai4/laai6 (LE Vietnamese)
    ("CHOW", "CHAU", "ZHOU", "ZOU", "CHOU", "CHAO"),       # 周 鄒 zau1, 秋 cau1
    ("CHOI", "CAI", "TSOI", "CHOY", "TSAI", "CHUA"),       # 蔡 coi3, 才 財 coi4
    ("KWOK", "GUO", "KUOK", "KUO", "QUEK"),                # 郭 國 gwok3
    ("TSANG", "ZENG", "TSENG"),                            # 曾 增 zang1
    ("TSE", "XIE", "TSEH", "HSIEH", "CHIA"),               # 謝 ze6
    ("HUI", "XU", "HSU", "KHOO"),                          # 許 heoi2 (XU, HSU also 徐)
    ("YIP", "IP", "YE", "YEH"),                            # 葉 jip6
    ("FUNG", "FENG"),                                      # 馮 鳳 峰 fung4/6/1
    ("LO", "LAW", "LOH", "LUO", "LOR"),                    # 羅 lo4
    ("LOU", "LO", "LOO", "LU", "LAO"),                     # 盧 勞 魯 路 lou4/5/6
    ("TANG", "DENG", "TENG", "DANG"),                      # 鄧 dang6
    ("POON", "PAN", "PUN", "PHAN"),                        # 潘 pun1
    ("SIU", "SHIU", "XIAO", "HSIAO", "SHAO", "SIO", "SIEW"),  # 蕭 邵 小 少 siu1/6/2/3
    ("KONG", "JIANG", "CHIANG"),                           # 江 gong1
    ("HUNG", "HONG", "XIONG", "HSIUNG", "ANG"),            # 洪 孔 熊 雄 鴻 hung4/2
    ("MAK", "MAI", "MAC", "MACK"),                         # 麥 mak6
    ("CHU", "ZHU", "CHUE", "CHOO"),                        # 朱 諸 珠 zyu1
    ("YU", "YUE", "U"),                                    # 余 俞 如 jyu4
    ("YUEN", "YUAN", "RUAN", "NGUYEN"),                    # 袁 阮 元 源 jyun4/5
    ("MA", "MAH"),                                         # 馬 maa5
    ("CHUNG", "ZHONG", "CHONG", "TSUNG", "CHOONG"),        # 鍾 鐘 忠 zung1, 聰 cung1
    ("PANG", "PENG"),                                      # 彭 paang4, 鵬 朋 pang4
    ("TO", "DU", "TOU", "TAO", "TU", "TOH"),               # 杜 陶 徒 塗 dou6/tou4
    ("KWAN", "GUAN", "KUAN", "KWUN"),                      # 關 gwaan1, 君 軍 gwan1, 群 kwan4
    ("AU", "OU", "AO"),                                    # 區 歐 au1
    ("YAU", "QIU", "YOU", "YOW", "IAO"),                   # 丘 邱 游 尤 jau1/4
    ("FONG", "FANG"),                                      # 方 房 芳 fong1/4
    ("FU", "FOO"),                                         # 傅 符 富 fu6/4/3
    ("LIU", "LIAO", "LIEW"),                               # 廖 了 liu6/5
    ("SHEK", "SEK", "SHI"),                                # 石 sek6
    ("YIU", "YAO", "IU", "RAO"),                           # 姚 饒 耀 jiu4/6
    ("LUNG", "LONG", "LOONG"),                             # 龍 lung4
    ("TAM", "TAN"),                                        # 譚 談 taam4
    ("SO", "SU", "SOU", "SOO"),                            # 蘇 sou1
    ("WAN", "WEN", "UAN"),                                 # 溫 wan1, 雲 wan4, 尹 wan5
    ("WAI", "WAY", "WEI", "VAI"),                          # 韋 偉 惠 wai4/5/6
    ("CHIU", "ZHAO", "CHIO", "CHAO"),                      # 趙 ziu6, 超 ciu1
    ("KWONG", "KUANG", "GUANG", "KUONG"),                  # 鄺 kwong3, 光 廣 gwong1/2
    ("MOK", "MO"),                                         # 莫 mok6
    ("SZE", "SI", "SEE", "SHI", "SY"),                     # 施 史 思 詩 司 si1/2 (SY Philippines)
    ("NGAN", "YAN"),                                       # 顏 ngaan4
    ("LUI", "LEI", "LOI", "LU", "LV", "LYU"),              # 雷 leoi4, 呂 leoi5
    ("OR", "O", "KE"),                                     # 柯 o1
    ("WU", "HU", "WOO"),                                   # 胡 鄔 wu4/1
    ("TONG",),                                             # 唐 湯 堂 tong4/1
    ("MAN", "MUN", "WEN"),                                 # 文 民 man4, 萬 maan6, 敏 man5
    ("HAU", "HOU", "HOW"),                                 # 侯 厚 hau4/5
    ("TAI", "DAI"),                                        # 戴 大 泰 daai3/6, taai3
    ("LING", "LENG"),                                      # 凌 玲 ling4
    ("YIM", "IM", "YAN"),                                  # 嚴 閻 jim4
    ("TSUI", "CHUI", "CUI", "XU", "HSU"),                  # 崔 ceoi1, 徐 ceoi4
    ("KAM", "KUM", "GAN", "JIN", "KIM"),                   # 甘 金 gam1, 錦 gam2
    ("CHIK", "TSIK", "ZHI"),                               # 植 zik6, 戚 cik1
    ("SIT", "XUE", "HSUEH"),                               # 薛 sit3
    ("CHEUK", "CHEOK", "ZHUO"),                            # 卓 coek3
    ("SHUM", "SUM", "SHAM", "CEN", "SHEN", "SIM"),         # 岑 sam4, 沈 sam2, 深 sam1
    ("PAK", "BAI", "BAK"),                                 # 白 baak6, 柏 百 paak3/baak3
    ("KEI", "KEE", "KI", "QI", "JI"),                      # 基 紀 gei1/2, 祁 其 琪 kei4
    ("YUNG", "IONG", "RONG", "WENG", "YONG"),              # 翁 jung1, 容 jung4
    ("LOK", "LOCK", "LUO", "LE"),                          # 駱 lok3, 樂 洛 lok6/3
    ("FAN", "FAAN", "PHAM"),                               # 范 樊 凡 faan6/4
    ("CHE", "CHEH"),                                       # 車 ce1
    ("FOK", "HUO"),                                        # 霍 fok3
    ("NGAI", "NI", "WEI"),                                 # 倪 ngai4, 魏 毅 ngai6
    ("KOO", "KU", "GU"),                                   # 古 顧 gu2/3
    ("KAN", "JIAN"),                                       # 簡 gaan2, 根 gan1, 勤 kan4
    ("TUNG", "DONG"),                                      # 董 東 dung2/1, 童 同 tung4
    ("SIN", "XIAN", "SHAN"),                               # 冼 sin2, 單 sin6, 先 sin1
    ("KO", "KOH", "GAO", "KAO", "KOU"),                    # 高 gou1
    ("TSO", "CHO", "CAO", "TSAO"),                         # 曹 cou4, 祖 zou2
    ("CHOR", "CHO"),                                       # 楚 初 co2/1
    ("CHONG", "ZHUANG", "CHUANG", "CHNG", "TSONG"),        # 莊 zong1
    ("PAU", "BAO", "PAO"),                                 # 鮑 包 baau1
    ("CHAK", "ZHAI", "TSAK"),                              # 翟 zaak6, 澤 zaak6
    ("CHIM", "ZHAN"),                                      # 詹 zim1
    ("HON", "HAN"),                                        # 韓 漢 hon4/3
    ("HA", "HAR", "XIA", "HSIA"),                          # 夏 霞 haa6/4
    ("NIP", "NIE", "NIEH"),                                # 聶 nip6
    ("SUNG", "SONG", "SOONG"),                             # 宋 sung3
    ("YAM", "REN", "IAM"),                                 # 任 jam4, 欽 音 jam1
    ("TIN", "TIAN", "TEEN"),                               # 田 天 tin4/1
    ("PONG",),                                             # 龐 pong4
    ("MO", "MOU", "MAO"),                                  # 毛 巫 mou4, 武 mou5
    ("LUK", "LOOK", "LU"),                                 # 陸 綠 六 luk6
    ("HEUNG", "HEONG", "XIANG"),                           # 向 香 hoeng3/1
    ("CHAI", "QI"),                                        # 齊 cai4, 柴 caai4
    ("KOT", "GE"),                                         # 葛 got3
    ("WAT", "QU"),                                         # 屈 wat1
    ("MIU", "MIAO"),                                       # 苗 繆 miu4/6
    ("MUI", "MOOI", "MEI"),                                # 梅 mui4
    ("SUEN", "SUN"),                                       # 孫 syun1, 宣 syun1
    ("YIK", "YI"),                                         # 易 益 jik6/1
    ("KEUNG", "KEONG", "JIANG", "QIANG"),                  # 姜 goeng1, 強 koeng4
    ("CHUN", "TSUN", "QIN", "JIN"),                        # 秦 ceon4, 俊 進 晉 zeon3
    ("KOON", "GUAN"),                                      # 官 冠 觀 gun1/3 (上官 SHEUNG-KOON)
    ("SHEUNG", "SHEONG", "SHANG", "SEUNG"),                # 尚 常 上 soeng6/4
    ("HONG", "KANG"),                                      # 康 hong1, 航 hong4
    ("YING", "IENG", "XING"),                              # 英 jing1, 邢 盈 jing4
    ("LIN", "LEEN", "LIAN"),                               # 連 蓮 lin4
    ("SHING", "SING"),                                     # 成 城 盛 sing4/6, 星 sing1
    ("CHING", "TSING"),                                    # 程 ching4, 正 靜 zing3/6, 清 cing1
    # Given-name syllables with variant spellings in Hong Kong.
    ("CHI", "TSZ", "TZE", "CHEE"),                         # 志 子 zi3/2, 池 慈 ci4
    ("YEE", "YI"),                                         # 兒 怡 儀 ji4, 綺 ji2
    ("KA", "KAR"),                                         # 家 嘉 加 gaa1
    ("KIN", "KEEN", "JIAN"),                               # 健 建 gin6/3, 堅 gin1
    ("HEI", "HAY", "HEE"),                                 # 希 熙 喜 hei1/2
    ("YUK", "YOOK"),                                       # 玉 旭 毓 juk6/1
    ("SHUN", "SEUN", "SHEUN", "SEON"),                     # 信 seon3, 順 純 seon6/4
    ("HOI", "HOY"),                                        # 海 凱 hoi2, 開 hoi1
    ("MEI", "MAY"),                                        # 美 mei5, 微 薇 mei4
    ("WING", "WENG", "VENG"),                              # 榮 wing4, 詠 穎 wing6 (WENG Macau)
    ("FOON", "FUN"),                                       # 歡 寬 fun1
    ("WOON", "WUN"),                                       # 煥 換 垣 wun6/4
    ("KWAI", "KWEI", "GUI"),                               # 貴 桂 季 gwai3, 葵 kwai4
    ("OI", "OY"),                                          # 愛 藹 oi3/2
    ("PO", "POU", "POH"),                                  # 寶 保 bou2, 普 pou2
    ("CHUEN", "TSUEN"),                                    # 全 泉 cyun4, 川 cyun1
    ("WAH", "WA"),                                         # 華 樺 waa4/6, 話 waa6
    ("SUK", "SOOK"),                                       # 淑 suk6
    ("FUK", "FOOK"),                                       # 福 fuk1
    ("NGA", "NGAR"),                                       # 雅 ngaa5
    ("PUI", "POOI"),                                       # 珮 培 沛 pui3/4
    ("SAN", "SUN"),                                        # 新 san1, 辰 晨 san4
    ("SAM", "SUM"),                                        # 三 saam1, 心 sam1, 森 sam1
    # Spellings above that are also a Cantonese syllable of their own.
    ("YAN",),                                              # 欣 恩 jan1, 人 仁 jan4
    ("SHAN",),                                             # 山 珊 saan1
    ("LAN",),                                              # 蘭 laan4
    # Names of Hong Kong's South Asian residents, transliterated from Arabic script.
    ("MUHAMMAD", "MOHAMMAD", "MOHAMMED", "MOHAMED", "MUHAMMED", "MOHAMAD", "MUHAMAD",
     "MOHD", "MD"),
    ("AHMED", "AHMAD", "AHMET"),
    ("HUSSAIN", "HUSSEIN", "HUSAIN", "HOSSAIN", "HOSSEIN"),
    ("ALI", "ALY"),
    ("ABDUL", "ABDOOL", "ABDEL"),
    ("RAHMAN", "REHMAN"),
)

# Cantonese syllables as spelled in Hong Kong names (Immigration Department conventions), used
# only to split run-together given names ("TAIMAN" → TAI MAN).
CANTONESE_SYLLABLES: Final[frozenset[str]] = frozenset("""
    AI AK AM AN ANG AP AT AU
    CHA CHAI CHAK CHAM CHAN CHAU CHE CHEK CHEONG CHEUK CHEUNG CHI CHIK CHIM CHIN CHING CHIT
    CHIU CHO CHOI CHOK CHONG CHOR CHOW CHU CHUE CHUEN CHUI CHUK CHUN CHUNG CHUT
    FA FAI FAN FAT FEI FO FOK FONG FOO FOOK FOON FU FUK FUN FUNG
    HA HAI HAK HAM HANG HAP HAT HAU HEI HIM HIN HING HIP HIT HIU HO HOI HOK HON HONG HUEN
    HUI HUNG IP
    KA KAI KAK KAM KAN KANG KAP KAT KAU KEE KEI KEUNG KI KIM KIN KING KIT KIU KO KOK KON
    KONG KOO KOON KOT KU KUEN KUI KUK KUM KUN KUNG KWAI KWAN KWAT KWOK KWONG
    LAI LAM LAN LAP LAU LAW LEE LEI LEUNG LI LIK LIM LIN LING LIP LIT LIU LO LOI LOK LONG
    LOONG LOU LUEN LUI LUK LUN LUNG LUT
    MA MAI MAK MAN MANG MAT MAU MEI MIK MIN MING MIT MIU MO MOK MONG MOON MOOI MUI MUK MUN
    MUNG MUT
    NA NAI NAM NAN NANG NAU NEI NG NGA NGAI NGAN NGAU NGOK NGON NGOR NIN NING NIP NIU NOK
    NUNG OI ON ONG OR
    PAK PAN PANG PAT PAU PEI PIK PIN PING PIU PO POK PONG POO POON PUI PUK PUN PUNG
    SAI SAK SAM SAN SANG SAP SAT SAU SEK SEUNG SHAN SHEK SHEUNG SHING SHIU SHU SHUI SHUK
    SHUM SHUN SHUNG SIK SIN SING SIP SIT SIU SO SOK SONG SUEN SUET SUI SUK SUM SUN SUNG SZE
    TAI TAK TAM TAN TANG TAP TAT TAU TEI TIK TIM TIN TING TIP TIT TIU TO TOI TOK TONG TSANG
    TSE TSING TSO TSOI TSUEN TSUI TSUN TSZ TUEN TUI TUK TUN TUNG TUT
    WA WAH WAI WAK WAN WANG WAT WING WO WOK WONG WOO WOON WU WUI WUN WUT
    YAM YAN YAP YAT YAU YEE YEUK YEUNG YI YIK YIM YIN YING YIP YIT YIU YU YUE YUEN YUET YUK
    YUNG
""".split())

# Common English given names that would otherwise be split into Cantonese-looking syllables
# ("SUSAN" → SU SAN); they are kept whole.
UNSPLIT_NAMES: Final[frozenset[str]] = frozenset("""
    ANNA ANNIE DAISY GEORGE HANA KAREN KIKI LILI LINA LULU MOMO MONA NANA NINA SIMON SISI SONA
    SUSAN TIMON YUKI
""".split())
# fmt: on

_MIN_SPLIT_LENGTH = 4
_MAX_SPLIT_PIECES = 4
_APOSTROPHES = str.maketrans("", "", "'’`")
_NON_LETTERS_RE = re.compile(r"[^A-Z]+")


def _index_classes() -> dict[str, tuple[str, ...]]:
    """Spelling → the ids of the classes it belongs to, its own class first, then table order."""
    index: dict[str, list[str]] = {}
    for spellings in SYLLABLE_CLASSES:
        class_id = spellings[0]
        for spelling in spellings:
            ids = index.setdefault(spelling, [])
            if class_id not in ids:
                # A spelling's own class comes first: it is the most likely reading.
                ids.insert(0 if spelling == class_id else len(ids), class_id)
    return {spelling: tuple(ids) for spelling, ids in index.items()}


_CLASS_IDS_BY_SPELLING: Final[dict[str, tuple[str, ...]]] = _index_classes()
_CLASS_SETS_BY_SPELLING: Final[dict[str, frozenset[str]]] = {
    spelling: frozenset(ids) for spelling, ids in _CLASS_IDS_BY_SPELLING.items()
}
# Abbreviations and transliterations of non-Chinese names never occur inside a run-together
# Chinese given name, and as pieces they would only split English names ("LEON" → LE ON).
_NOT_PIECES = frozenset({"MD", "LV", "LY", "LE", "SY", "MOHD"})
_SPLITTABLE_PIECES: Final[frozenset[str]] = frozenset(
    piece
    for piece in (*_CLASS_IDS_BY_SPELLING, *CANTONESE_SYLLABLES)
    if len(piece) >= 2 and piece not in _NOT_PIECES
)
_LONGEST_PIECE = max(len(piece) for piece in _SPLITTABLE_PIECES)


def class_ids(token: str) -> tuple[str, ...]:
    """Class ids of an upper-case romanised syllable, most likely first; unknown → itself."""
    return _CLASS_IDS_BY_SPELLING.get(token) or (token,)


def canonical_syllables(token: str) -> frozenset[str]:
    """Every class id a romanised syllable may belong to ("Li" → {LEE, LAI}); unknown → itself."""
    token = token.upper()
    return _CLASS_SETS_BY_SPELLING.get(token) or frozenset((token,))


@lru_cache(maxsize=65536)
def _split_token(token: str) -> tuple[str, ...]:
    """A run-together name ("TAIMAN") split into known syllables, or the token unchanged.

    Among the splits into known pieces the one with fewest pieces wins, then the one with more
    pieces from the variant table, then the one whose earlier pieces are longer.
    """
    if (
        len(token) < _MIN_SPLIT_LENGTH
        or token in _CLASS_IDS_BY_SPELLING
        or token in CANTONESE_SYLLABLES
        or token in UNSPLIT_NAMES
    ):
        return (token,)
    size = len(token)
    # best[i]: (pieces, -pieces in the table, split) for token[i:], built from the end.
    best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (size + 1)
    best[size] = (0, 0, ())
    for start in range(size - 2, -1, -1):
        for end in range(min(size, start + _LONGEST_PIECE), start + 1, -1):
            piece, rest = token[start:end], best[end]
            if rest is None or piece not in _SPLITTABLE_PIECES:
                continue
            candidate = (
                rest[0] + 1,
                rest[1] - (piece in _CLASS_IDS_BY_SPELLING),
                (piece, *rest[2]),
            )
            current = best[start]
            if current is None or candidate[:2] < current[:2]:
                best[start] = candidate
    found = best[0]
    if found is None or found[0] > _MAX_SPLIT_PIECES:
        return (token,)
    return found[2]


def _ascii_letters(name: str) -> str:
    """`name` upper-cased, accents removed (José → JOSE), apostrophes dropped (O'Neil → ONEIL)."""
    if name.isascii():
        # str.replace is much faster than str.translate for the common all-ASCII name.
        return name.replace("'", "").replace("`", "").upper()
    decomposed = unicodedata.normalize("NFKD", name)
    name = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return name.translate(_APOSTROPHES).upper()


def split_romanised_name(name: str) -> list[str]:
    """Upper-case syllables of a romanised name: "Chan, Tai-man" or "chan taiman" → CHAN TAI MAN."""
    tokens: list[str] = []
    for word in _NON_LETTERS_RE.split(_ascii_letters(name)):
        if word:
            tokens.extend(_split_token(word))
    return tokens


def canonical_tokens(name: str) -> list[frozenset[str]]:
    """The class ids each syllable of a romanised name may belong to, in name order."""
    return [canonical_syllables(token) for token in split_romanised_name(name)]
