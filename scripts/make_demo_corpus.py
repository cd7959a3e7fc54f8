"""Generate the small synthetic NER demo corpus bundled in ``graphflow/data/demo/``.

The sentences are produced from hand-written templates and name lists (invented or common
names, cities, countries, companies, organisations, nationalities and events); none is taken from
CoNLL-2003 or any other corpus. Output is the 4-column CoNLL form ``word POS chunk NER`` with
IOB2 NER tags, a ``-DOCSTART- -X- -X- O`` line before every 25 sentences, and a blank line after
every sentence. POS tags come from a small lexicon with simple fallbacks (capitalised -> NNP,
numbers -> CD, other -> NN) and chunk tags from grouping POS runs into NP/VP/PP; both are
plausible placeholders, not gold annotation.

The train split starts with three sentences from the lecture on window classification:
"Last night , Paris Hilton wowed in a sequin gown ." (Paris Hilton = PER),
"Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989 ." (Hilton Hotel and Paris
= LOC, "April 1989" is a date, which is not a CoNLL type, so O) and
"the museums in Paris are amazing to see ." (Paris = LOC).
Ambiguous words (Paris, Hilton, Washington, Jordan, Lincoln, Florence, ...) occur as different
entity types depending on their context, so a window classifier has to use the context.

Generation uses ``random.Random(SEED)`` only, so the output is reproducible byte for byte:

    python3 scripts/make_demo_corpus.py              # rewrite graphflow/data/demo/*.txt
    python3 scripts/make_demo_corpus.py --check      # exit 1 if the committed files differ
    python3 scripts/make_demo_corpus.py --out-dir D  # write D/{train,dev,test}.txt
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

SEED = 20240501
SPLIT_SIZES = {"train": 400, "dev": 100, "test": 100}
SENTENCES_PER_DOC = 25
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "graphflow" / "data" / "demo"

LECTURE_SENTENCES: list[list[tuple[str, str]]] = [
    [("Last", "O"), ("night", "O"), (",", "O"), ("Paris", "B-PER"), ("Hilton", "I-PER"),
     ("wowed", "O"), ("in", "O"), ("a", "O"), ("sequin", "O"), ("gown", "O"), (".", "O")],
    [("Samuel", "B-PER"), ("Quinn", "I-PER"), ("was", "O"), ("arrested", "O"), ("in", "O"),
     ("the", "O"), ("Hilton", "B-LOC"), ("Hotel", "I-LOC"), ("in", "O"), ("Paris", "B-LOC"),
     ("in", "O"), ("April", "O"), ("1989", "O"), (".", "O")],
    [("the", "O"), ("museums", "O"), ("in", "O"), ("Paris", "B-LOC"), ("are", "O"),
     ("amazing", "O"), ("to", "O"), ("see", "O"), (".", "O")],
]

# Entity fillers: "|" separates alternatives, spaces separate the tokens of one name.
FIRST = ("Anna|Ben|Carla|David|Elena|Frank|Grace|Hugo|Irene|Jack|Karen|Leo|Maria|Nina|Oscar|"
         "Peter|Rosa|Samuel|Tom|Vera|Paris|Jordan|Florence|Sydney|Austin|Georgia|Chelsea|Lincoln")
LAST = ("Smith|Brown|Miller|Novak|Rossi|Silva|Tanaka|Okafor|Larsen|Dubois|Quinn|Keller|Moreau|"
        "Fischer|Walsh|Hilton|Washington|Jordan|Lincoln|Jackson|London|Ford|Paris|Chelsea")
CITY = ("Paris|London|Washington|Berlin|Madrid|Lisbon|Sydney|Florence|Austin|Lincoln|Nairobi|"
        "Lima|Oslo|Osaka|Toronto|Munich|New York|Los Angeles|Rio de Janeiro|Hong Kong|Cape Town|"
        "Buenos Aires")
COUNTRY = ("France|Germany|Jordan|Georgia|Brazil|Japan|Kenya|Peru|Norway|Canada|Italy|Spain|"
           "South Africa|New Zealand|United States|Argentina")
REGION = "Bavaria|Tuscany|Patagonia|Scotland|Siberia|Texas|Normandy|Queensland"
RIVER = "Rhine|Danube|Thames|Seine|Nile|Amazon"
HOTEL = ("Hilton Hotel|Grand Hotel|Ritz Hotel|Plaza Hotel|Wembley Stadium|Central Park|"
         "Union Station|Lincoln Memorial")
COMPANY = ("Northwind Traders|Bluefield Bank|Apex Motors|Kestrel Airlines|Orion Software|"
           "Greenleaf Foods|Silverline Energy|Harbor Steel|Pinecrest Insurance|Redwood Capital|"
           "Hilton|Ford|Amazon|Jordan Mining")
SUFFIX = "Inc.|Corp.|Group|Ltd"
ORG = ("United Nations|European Union|Red Cross|World Bank|NATO|Greenpeace|Interpol|"
       "International Monetary Fund|World Health Organisation|Senate|Labour Party")
CLUB = ("Chelsea|Ajax|Juventus|Benfica|Celtic|Porto|Bayern Munich|Lincoln City|Paris Saint-Germain|"
        "Real Madrid")
MEDIA = "Washington Post|Evening Herald|Morning Star|Daily Courier"
NAT = ("German|French|British|Brazilian|Japanese|Kenyan|Norwegian|Canadian|Jordanian|Australian|"
       "American|Spanish|Italian|Peruvian")
SPORT = "World Cup|Olympic Games|Tour de France|French Open|Australian Open|Davis Cup"
CUP = "Champions League|Europa League|FA Cup|Super Cup"
SHOW = "Paris Motor Show|Venice Biennale|Frankfurt Book Fair|Grammy Awards|Jordan Film Festival"
HOLIDAY = "Christmas|Ramadan|Easter|Thanksgiving"
PRIZE = "Nobel Prize|Grammy Award|Pulitzer Prize|Golden Globe"
TITLE = "Mr.|Mrs.|President|Minister|Dr.|Senator"
DAY = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
MONTH = ("January|February|March|April|May|June|July|August|September|October|November|"
         "December")
COLOR = "sequin|silver|red|black|velvet|silk"
PERSON_NOUN = "spokesman|spokeswoman|director|analyst|lawyer|manager"

ENTITY_SLOTS = {"FIRST": ("PER", FIRST), "LAST": ("PER", LAST), "CITY": ("LOC", CITY),
                "COUNTRY": ("LOC", COUNTRY), "REGION": ("LOC", REGION), "RIVER": ("LOC", RIVER),
                "HOTEL": ("LOC", HOTEL), "COMPANY": ("ORG", COMPANY), "ORG": ("ORG", ORG),
                "CLUB": ("ORG", CLUB), "MEDIA": ("ORG", MEDIA), "NAT": ("MISC", NAT),
                "SPORT": ("MISC", SPORT), "CUP": ("MISC", CUP), "SHOW": ("MISC", SHOW),
                "HOLIDAY": ("MISC", HOLIDAY), "PRIZE": ("MISC", PRIZE)}
PLAIN_SLOTS = {"TITLE": TITLE, "DAY": DAY, "MONTH": MONTH, "COLOR": COLOR,
               "PNOUN": PERSON_NOUN}

TEMPLATES = """\
{PER} said on {DAY} that {COMPANY} would open a new office in {CITY} .
{COMPANY} shares rose {NUM} percent to {PRICE} on {DAY} .
{COMPANYX} shares fell {NUM} percent in early trading .
The {NAT} government said it would send {NUM} troops to {COUNTRY} .
{PER} , who was born in {CITY} , joined {CLUB} in {YEAR} .
{CLUB} beat {CLUB} {SCORE} in the {CUP} on {DAY} .
{PER} scored twice as {CLUB} won {SCORE} at home .
Police in {CITY} arrested {PER} on {DAY} .
{ORG} officials met in {CITY} to discuss aid for {COUNTRY} .
The {SPORT} will be held in {CITY} next year .
{TITLE} {LAST} told reporters in {CITY} that talks with {ORG} had failed .
Last night , {PER} wowed in a {COLOR} gown .
{PER} was arrested in the {HOTEL} in {CITY} in {MONTH} {YEAR} .
the museums in {CITY} are amazing to see .
{NAT} exports to {COUNTRY} rose {NUM} percent in {MONTH} .
{PER} , a {PNOUN} for {COMPANY} , declined to comment .
{COMPANY} agreed to buy {COMPANYX} for {NUM} million dollars .
{PER} stayed at the {HOTEL} during the {SHOW} .
Flights from {CITY} to {CITY} were cancelled on {DAY} because of snow .
Tourists in {CITY} visited the {HOTEL} on {DAY} .
{COUNTRY} and {COUNTRY} signed a trade agreement in {CITY} .
{PER} ( {COUNTRY} ) beat {PER} ( {COUNTRY} ) {TSCORE} .
{ORG} said {NUM} people were killed in fighting near {CITY} .
{NAT} striker {PER} signed a new contract with {CLUB} .
{COMPANY} , based in {CITY} , reported a net profit of {NUM} million euros .
{PER} arrived in {COUNTRY} on {DAY} for a three-day visit .
Shares of {COMPANYX} closed at {PRICE} in {CITY} .
{LAST} said : " We are very happy with the result . "
{ORG} delegates will meet in {CITY} on {DAY} .
{CLUB} coach {PER} said his team played well against {CLUB} .
It was the first {NAT} win at the {SPORT} since {YEAR} .
{PER} lives in {CITY} with his wife and two children .
Heavy rain hit {REGION} on {DAY} , forcing {NUM} families from their homes .
The {RIVER} burst its banks near {CITY} on {DAY} .
{PER} , {AGE} , from {CITY} , was named {NAT} player of the year .
{COMPANY} chief executive {PER} resigned on {DAY} .
{MEDIA} reported that {PER} would visit {COUNTRY} in {MONTH} .
{CITY} mayor {PER} opened a new bridge over the {RIVER} .
{PER} finished third in the {SPORT} .
{PER} won the {PRIZE} in {YEAR} .
Shops in {CITY} were busy before {HOLIDAY} .
{NAT} fans travelled to {CITY} for the {SHOW} .
In {CITY} , the main index rose {NUM} points to {PRICE} .
{COMPANY} said it expected sales in {COUNTRY} to grow .
{PER} told the {MEDIA} that {COMPANY} was not for sale .
{TITLE} {PER} flew to {CITY} for talks with {NAT} leaders .
{FIRST} plays for {CLUB} and lives near {CITY} .
Fans of {CLUB} celebrated in {CITY} after the {CUP} final .
The {NAT} film festival opens in {CITY} on {DAY} .
{LAST} , {AGE} , has worked for {COMPANY} since {YEAR} .
Workers at the {COMPANY} plant in {REGION} went on strike on {DAY} .
{ORG} inspectors will visit {COUNTRY} and {COUNTRY} in {MONTH} .
"""

_LEXICON_BY_POS = {  # later entries win: "visit" is NN
    "DT": "the a The an",
    "IN": "on in at of for from with near during since against before over because after as "
          "In that",
    "TO": "to",
    "CC": "and",
    "PRP": "it It he she we We",
    "PRP$": "his its their",
    "VBD": "said rose fell beat won arrested met signed reported was were wowed joined declined "
           "agreed closed visited told arrived scored resigned opened finished celebrated burst "
           "hit went played flew expected",
    "VBN": "born based killed cancelled held named worked travelled",
    "VBZ": "has lives plays opens",
    "VBP": "are",
    "VB": "send open discuss buy see visit comment grow meet be",
    "VBG": "forcing",
    "MD": "would will",
    "JJ": "busy Last new early net main first happy chief heavy amazing three-day good third",
    "RB": "twice very well not",
    "NN": "night gown government office percent trading contract profit visit team result "
          "player year home rain bank bridge index plant strike final festival film wife mayor "
          "executive sale trade agreement fighting snow talks",
    "NNS": "shops shares troops officials museums dollars people flights tourists euros families "
           "homes points sales workers children fans leaders banks reporters inspectors",
    "CD": "two million",
}
LEXICON: dict[str, str] = {
    word: pos for pos, words in _LEXICON_BY_POS.items() for word in words.split()
}
NP_POS = {"DT", "JJ", "NN", "NNS", "NNP", "NNPS", "CD", "PRP", "PRP$"}
VP_POS = {"VBD", "VBN", "VBZ", "VBP", "VB", "VBG", "MD", "TO", "RB"}


def _pos(word: str, tag: str, slot: str) -> str:
    if not word[0].isalnum():
        return word if word in ",.:()" else "``" if word == '"' else "SYM"
    if slot == "NAT":
        return "JJ"
    if tag != "O" or slot in ("DAY", "MONTH"):
        return "NNPS" if word.endswith(("Games", "Awards", "Nations")) else "NNP"
    if word in LEXICON:
        return LEXICON[word]
    if word[0].isdigit():
        return "CD"
    return "NNP" if word[0].isupper() else "NN"


def _chunks(pos_tags: list[str]) -> list[str]:
    out: list[str] = []
    prev = "O"
    for p in pos_tags:
        kind = "NP" if p in NP_POS else "VP" if p in VP_POS else "PP" if p == "IN" else "O"
        if kind == "O":
            out.append("O")
        else:
            out.append(f"I-{kind}" if kind == prev and kind != "PP" else f"B-{kind}")
        prev = kind
    return out


def _fill(slot: str, rng: random.Random) -> tuple[list[str], str]:
    """Tokens and entity type ("" for non-entities) for one template slot."""
    if slot == "PER":
        if rng.random() < 0.75:
            return [rng.choice(FIRST.split("|")), rng.choice(LAST.split("|"))], "PER"
        return [rng.choice(LAST.split("|"))], "PER"
    if slot == "COMPANYX":
        return [*rng.choice(COMPANY.split("|")).split(), rng.choice(SUFFIX.split("|"))], "ORG"
    if slot in ENTITY_SLOTS:
        typ, names = ENTITY_SLOTS[slot]
        return rng.choice(names.split("|")).split(), typ
    if slot in PLAIN_SLOTS:
        return [rng.choice(PLAIN_SLOTS[slot].split("|"))], ""
    number = {
        "NUM": lambda: str(rng.randint(2, 95)),
        "PRICE": lambda: f"{rng.randint(5, 900)}.{rng.randint(0, 99):02d}",
        "YEAR": lambda: str(rng.randint(1960, 2023)),
        "AGE": lambda: str(rng.randint(18, 80)),
        "SCORE": lambda: f"{rng.randint(3, 5)}-{rng.randint(0, 2)}",
        "TSCORE": lambda: f"6-{rng.randint(0, 4)} {rng.randint(6, 7)}-{rng.randint(3, 5)}",
    }[slot]()
    return number.split(), ""


def _generate(template: str, rng: random.Random) -> list[tuple[str, str, str]]:
    """Fill a template; returns (word, NER tag, slot) triples."""
    tokens: list[tuple[str, str, str]] = []
    for piece in template.split():
        if piece.startswith("{") and piece.endswith("}"):
            slot = piece[1:-1]
            words, typ = _fill(slot, rng)
            for i, w in enumerate(words):
                tag = "O" if not typ else f"{'B' if i == 0 else 'I'}-{typ}"
                tokens.append((w, tag, slot))
        else:
            tokens.append((piece, "O", ""))
    return tokens


def _render(tokens: list[tuple[str, str, str]]) -> str:
    pos_tags = [_pos(w, t, s) for w, t, s in tokens]
    chunks = _chunks(pos_tags)
    rows = zip(tokens, pos_tags, chunks, strict=True)
    return "".join(f"{w} {p} {c} {t}\n" for (w, t, _), p, c in rows)


def generate_corpus(seed: int = SEED) -> dict[str, str]:
    """File contents for each split, as ``{split: text}``."""
    rng = random.Random(seed)
    templates = TEMPLATES.strip().splitlines()
    seen: set[tuple[str, ...]] = set()
    files: dict[str, str] = {}
    for split, size in SPLIT_SIZES.items():
        sentences: list[list[tuple[str, str, str]]] = []
        if split == "train":
            sentences = [[(w, t, "") for w, t in sent] for sent in LECTURE_SENTENCES]
            seen.update(tuple(w for w, _, _ in s) for s in sentences)
        while len(sentences) < size:
            sent = _generate(rng.choice(templates), rng)
            key = tuple(w for w, _, _ in sent)
            if key not in seen:  # no duplicate sentence within or across splits
                seen.add(key)
                sentences.append(sent)
        parts = []
        for i, sent in enumerate(sentences):
            if i % SENTENCES_PER_DOC == 0:
                parts.append("-DOCSTART- -X- -X- O\n\n")
            parts.append(_render(sent) + "\n")
        files[split] = "".join(parts)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT,
                        help=f"output directory (default: {DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true",
                        help="only compare with the files in --out-dir; exit 1 if they differ")
    args = parser.parse_args(argv)
    files = generate_corpus()
    if args.check:
        stale = [s for s, text in files.items()
                 if not (args.out_dir / f"{s}.txt").is_file()
                 or (args.out_dir / f"{s}.txt").read_bytes() != text.encode("utf-8")]
        if stale:
            print(f"demo corpus out of date in {args.out_dir}: {', '.join(stale)}",
                  file=sys.stderr)
            return 1
        print(f"demo corpus in {args.out_dir} is up to date")
        return 0
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for split, text in files.items():
        path = args.out_dir / f"{split}.txt"
        path.write_bytes(text.encode("utf-8"))
        print(f"wrote {path} ({SPLIT_SIZES[split]} sentences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
