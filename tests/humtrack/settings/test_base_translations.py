"""The languages settings.LANGUAGES offers are real: every string people read goes through Django's
translation machinery, and the Dari (fa_AF) and Pashto (ps) catalogues under LOCALE_PATHS hold a
translation of each.

- the committed catalogues are complete (every msgid translated, every plural form, nothing fuzzy, the
  same placeholders as the msgid) and their .mo files say what the .po files say;
- they are current: makemessages run over the code now finds no msgid they lack (nor one they keep
  that the code no longer has), so a new untranslated string fails here;
- no template has words outside {% translate %} / {% blocktranslate %}: neither text nor the attributes
  people read (title, placeholder, alt, aria-label, a button's value).

`make messages` (Makefile) re-extracts and compiles the catalogues; the .mo files are committed, since
a fresh clone has Python but not gettext.
"""

import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.template.base import DebugLexer, TokenType
from django.test import override_settings

from tests.infrastructure import REQUIRE_SERVICES

REPO = Path(__file__).resolve().parents[3]
LOCALES = ("fa_AF", "ps")
DOMAINS = ("django", "djangojs")
PLURAL_FORMS = {"fa_AF": "nplurals=2; plural=(n > 1);", "ps": "nplurals=2; plural=(n != 1);"}

# Words a template may show untranslated, because they are not language. Keep it short: each is a name.
ALLOWED_WORDS = (
    "humtrack",  # the product's name
    "UTC",  # the time standard, shown beside local times
    "AF08",  # a p-code, as an example of one
    "CAP",  # Common Alerting Protocol, the feed's format
    "CSV",
    "HXL",  # Humanitarian Exchange Language
    "GeoJSON",
    "PDF",  # file formats, named as their readers know them
    "XLSX",
    "API",
)
ALLOWED = re.compile(r"\b(?:" + "|".join(map(re.escape, ALLOWED_WORDS)) + r")\b")
LETTER = re.compile(r"[^\W\d_]")
READ_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label"}
BUTTON_TYPES = {"submit", "button", "reset"}
# Blocks whose content the base template puts in a class attribute: CSS names, not language.
CLASS_BLOCKS = {"bodyclass", "body_class"}
# What a template's non-text token becomes: no letter, so nothing there is reported.
MARK = "\x01"


# --- Catalogues --------------------------------------------------------------------------------------


def catalogues() -> list[Path]:
    return sorted(path for locale in LOCALES for path in (REPO / "locale" / locale / "LC_MESSAGES").glob("*.po"))


def placeholders(text: str) -> tuple[set[str], int, set[str]]:
    """The named %-placeholders, how many unnamed ones, and the {name} ones (str.format, DRF messages)."""
    named = set(re.findall(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdrifgeExXoc]", text))
    unnamed = len(re.findall(r"%[-#0 +]*\d*(?:\.\d+)?[sdrifgeExXoc]", text.replace("%%", "")))
    return named, unnamed, set(re.findall(r"(?<!\{)\{(\w+)\}(?!\})", text))


def entry_problems(entry: polib.POEntry, nplurals: int) -> list[str]:
    """Why one catalogue entry is not a usable translation; empty when it is."""
    name = repr(entry.msgid) if not entry.msgctxt else f"{entry.msgctxt!r} {entry.msgid!r}"
    if entry.fuzzy:
        return [f"{name}: fuzzy (check the translation, then drop the flag)"]
    if entry.msgid_plural:
        forms = [entry.msgstr_plural.get(index, "") for index in range(nplurals)]
        if not all(form.strip() for form in forms):
            return [f"{name}: not translated (every one of the {nplurals} plural forms)"]
        expected = placeholders(entry.msgid_plural)
    else:
        forms = [entry.msgstr]
        if not entry.msgstr.strip():
            return [f"{name}: not translated"]
        expected = placeholders(entry.msgid)
    return [
        f"{name}: the placeholders of {form!r} differ from the msgid's"
        for form in forms
        if placeholders(form)[0] != expected[0] or placeholders(form)[2] != expected[2]
    ]


def catalogue_problems(po: polib.POFile) -> list[str]:
    """Every entry of a catalogue that is untranslated, fuzzy or has other placeholders than its msgid."""
    nplurals = int(re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", "nplurals=2")).group(1))
    return [problem for entry in po if not entry.obsolete for problem in entry_problems(entry, nplurals)]


def compiled(po: polib.POFile) -> dict:
    """What msgfmt puts in the .mo: the translated entries that are not fuzzy, by context and msgid."""
    return {
        (entry.msgctxt, entry.msgid): entry.msgstr_plural or entry.msgstr
        for entry in po
        if entry.msgid and not entry.obsolete and not entry.fuzzy and entry.translated()
    }


def in_mo(mo: polib.MOFile) -> dict:
    return {
        (entry.msgctxt, entry.msgid): {int(k): v for k, v in entry.msgstr_plural.items()} or entry.msgstr
        for entry in mo
        if entry.msgid
    }


def msgids(po: polib.POFile) -> set[tuple]:
    return {(entry.msgctxt or None, entry.msgid, entry.msgid_plural or None) for entry in po if not entry.obsolete}


def test_there_is_a_catalogue_for_each_language_but_english():
    languages = {code for code, _name in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
    assert {path.parent.parent.name.replace("_", "-").lower() for path in catalogues()} == languages
    assert [str(path) for path in settings.LOCALE_PATHS] == [str(REPO / "locale")]


@pytest.mark.parametrize("path", catalogues(), ids=lambda path: str(path.relative_to(REPO)))
def test_catalogue_says_its_language_and_plural_rule(path):
    po = polib.pofile(str(path))
    locale = path.parent.parent.name
    assert po.metadata["Language"] == locale
    assert po.metadata["Plural-Forms"] == PLURAL_FORMS[locale]
    assert not po.metadata_is_fuzzy


@pytest.mark.parametrize("path", catalogues(), ids=lambda path: str(path.relative_to(REPO)))
def test_every_message_of_the_catalogue_is_translated_with_the_same_placeholders(path):
    problems = catalogue_problems(polib.pofile(str(path)))
    assert not problems, f"{path.relative_to(REPO)}: {len(problems)} messages to translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", catalogues(), ids=lambda path: str(path.relative_to(REPO)))
def test_the_committed_mo_file_says_what_the_po_file_says(path):
    mo_path = path.with_suffix(".mo")
    assert mo_path.is_file(), f"{mo_path.relative_to(REPO)} is missing: run `make messages` and commit it"
    assert in_mo(polib.mofile(str(mo_path))) == compiled(polib.pofile(str(path))), (
        f"{mo_path.relative_to(REPO)} is not compiled from the .po file as it is: run `make messages`"
    )


def messages_ignored() -> list[str]:
    """The --ignore patterns `make messages` extracts with (the Makefile's MESSAGES_IGNORE)."""
    line = re.search(r"^MESSAGES_IGNORE\s*:?=(.*)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert line, "the Makefile's MESSAGES_IGNORE is gone"
    return [word.removeprefix("--ignore=") for word in shlex.split(line.group(1))]


def extract(into: Path, monkeypatch, added: dict[str, str] | None = None) -> dict[Path, polib.POFile]:
    """Run makemessages as `make messages` does, over a copy of the code (with `added` files), into
    fresh catalogues."""
    ignored = messages_ignored()
    copy = into / "code"
    shutil.copytree(
        REPO,
        copy,
        ignore=shutil.ignore_patterns(".*", "var", "tests", "node_modules", "__pycache__", "locale", "test-artifacts"),
    )
    (copy / "locale").mkdir()
    for name, text in (added or {}).items():
        (copy / name).write_text(text)
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=list(LOCALES), domain="django", ignore_patterns=ignored, verbosity=0)
        call_command(
            "makemessages",
            locale=list(LOCALES),
            domain="djangojs",
            ignore_patterns=[*ignored, "situation/static/vendor"],
            verbosity=0,
        )
    return {path.relative_to(copy): polib.pofile(str(path)) for path in (copy / "locale").rglob("*.po")}


def gettext_missing() -> None:
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        message = "gettext (xgettext, msgmerge) is not installed: `make browser-deps` installs it"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message}; HUMTRACK_REQUIRE_SERVICES=1 requires it.")
        pytest.skip(message)


def test_the_catalogues_hold_every_message_of_the_code_and_no_other(tmp_path, monkeypatch):
    gettext_missing()
    fresh = extract(tmp_path, monkeypatch)
    committed = {path.relative_to(REPO): polib.pofile(str(path)) for path in catalogues()}
    problems = []
    for path in sorted(set(fresh) | set(committed)):
        in_code = msgids(fresh[path]) if path in fresh else set()
        in_catalogue = msgids(committed[path]) if path in committed else set()
        problems += [f"{path}: not in the catalogue: {msgid!r}" for msgid in sorted(in_code - in_catalogue, key=str)]
        problems += [f"{path}: no longer in the code: {msgid!r}" for msgid in sorted(in_catalogue - in_code, key=str)]
    assert not problems, "run `make messages` (then translate):\n" + "\n".join(problems)


# --- Templates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.line}: {self.text}"


def skeleton(source: str) -> str:
    """The template with every tag, variable and comment, and whatever {% blocktranslate %} and
    {% comment %} enclose, replaced by a mark with no letters; line breaks are kept, so lines stay."""
    parts, closing = [], None
    for token in DebugLexer(source).tokenize():
        start, end = token.position
        text = source[start:end]
        if closing is None and token.token_type == TokenType.BLOCK:
            command = token.contents.split()[0] if token.contents.split() else ""
            closing = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans"}.get(command)
            closing = closing or {"comment": "endcomment", "verbatim": "endverbatim"}.get(command)
            if command == "block" and token.contents.split()[1:2] and token.contents.split()[1] in CLASS_BLOCKS:
                closing = "endblock"
        elif closing is not None and token.token_type == TokenType.BLOCK and token.contents.split()[:1] == [closing]:
            closing = None
            parts.append(MARK + "\n" * text.count("\n"))
            continue
        keep = closing is None and token.token_type == TokenType.TEXT
        parts.append(text if keep else MARK + "\n" * text.count("\n"))
    return "".join(parts)


def has_words(text: str) -> bool:
    return bool(LETTER.search(ALLOWED.sub("", text)))


class LiteralFinder(HTMLParser):
    """Text and read attributes with letters, outside <script> and <style>; comments are skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Literal] = []
        self.raw: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.raw = tag
        values = dict(attrs)
        read = READ_ATTRIBUTES | ({"value"} if tag == "input" and values.get("type") in BUTTON_TYPES else set())
        for name, value in attrs:
            if name in read and value and has_words(value):
                self.found.append(Literal(self.getpos()[0], f'{name}="{value.replace(MARK, "…")}"'))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.raw = None if tag in ("script", "style") else self.raw

    def handle_endtag(self, tag):
        if tag == self.raw:
            self.raw = None

    def handle_data(self, data):
        if self.raw is None and has_words(data):
            line = self.getpos()[0]
            for offset, text in enumerate(data.split("\n")):
                if has_words(text):
                    self.found.append(Literal(line + offset, text.strip().replace(MARK, "…")))


def untranslated(source: str, *, html: bool = True) -> list[Literal]:
    """Every place a template shows words that no translation tag encloses."""
    text = skeleton(source)
    if not html:
        return [
            Literal(n, line.strip().replace(MARK, "…")) for n, line in enumerate(text.split("\n"), 1) if has_words(line)
        ]
    finder = LiteralFinder()
    finder.feed(text)
    finder.close()
    return finder.found


def template_dirs() -> list[Path]:
    """The templates folders of the project's apps and settings.TEMPLATES's DIRS (not the virtualenv's)."""
    folders = [Path(config.path) / "templates" for config in apps.get_app_configs()]
    folders += [Path(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", [])]
    # The virtualenv lies inside the clone (make's .venv): its packages' templates are not ours.
    ours = [folder for folder in folders if folder.is_relative_to(REPO) and "site-packages" not in folder.parts]
    return sorted({folder for folder in ours if folder.is_dir()})


def templates() -> Iterator[Path]:
    for folder in template_dirs():
        yield from sorted(path for path in folder.rglob("*") if path.suffix in (".html", ".txt"))


def test_templates_are_found_in_every_app_that_has_them():
    found = {path.relative_to(REPO).parts[0] for path in templates()}
    assert {"access", "situation"} <= found


@pytest.mark.parametrize("path", list(templates()), ids=lambda path: str(path.relative_to(REPO)))
def test_template_has_no_words_outside_translation_tags(path):
    found = untranslated(path.read_text(encoding="utf-8"), html=path.suffix == ".html")
    assert not found, f"{path.relative_to(REPO)}: words outside {{% translate %}}:\n" + "\n".join(
        f"{path.relative_to(REPO)}:{literal}" for literal in found
    )


# --- The checks themselves catch what they are for --------------------------------------------------


def test_a_literal_word_in_a_template_is_found_with_its_line():
    source = (
        "{% load i18n %}<html>\n<head><style>p { color: red }</style><script>let a = 'word';</script></head>\n"
        "<body><!-- a comment -->{# note #}{% comment %}words{% endcomment %}{% block bodyclass %}x{% endblock %}\n"
        "<h1>{% translate 'Title' %} &rsaquo; {{ region.name }} (UTC)</h1>\n"
        "<p>{% blocktranslate trimmed with name=x %}Hello {{ name }}{% endblocktranslate %}</p>\n"
        "<p>Status at</p>\n"
        '<input type="submit" value="{% translate "Save" %}"><input type="submit" value="Send">\n'
        '<a title="Open the map" href="/x">AF08</a><img alt="{{ alt }}" src="x.png"><b class="lead word">–</b>\n'
        "</body></html>"
    )
    assert [str(literal) for literal in untranslated(source)] == [
        "6: Status at",
        '7: value="Send"',
        '8: title="Open the map"',
    ]


def test_a_literal_word_in_a_text_email_template_is_found():
    source = "{% load i18n %}{% translate 'Hello' %}\n{{ url }}\nUnsubscribe: {{ url }}\n"
    assert [str(literal) for literal in untranslated(source, html=False)] == ["3: Unsubscribe: …"]


def catalogue(*entries: polib.POEntry, plural_forms: str = "nplurals=2; plural=(n != 1);") -> polib.POFile:
    po = polib.POFile()
    po.metadata = {"Plural-Forms": plural_forms}
    for entry in entries:
        po.append(entry)
    return po


def test_an_untranslated_fuzzy_or_misplaceholdered_message_is_named():
    po = catalogue(
        polib.POEntry(msgid="Done", msgstr="شو"),
        polib.POEntry(msgid="Missing", msgstr=""),
        polib.POEntry(msgid="Guessed", msgstr="اټکل", flags=["fuzzy"]),
        polib.POEntry(msgid="Region %(name)s", msgstr="سیمه %(nom)s"),
        polib.POEntry(msgid="No region {value}.", msgstr="سیمه نشته"),
        polib.POEntry(
            msgid="%(count)d token", msgid_plural="%(count)d tokens", msgstr_plural={0: "%(count)d ټوکن", 1: ""}
        ),
        polib.POEntry(msgid="%(n)d row", msgid_plural="%(n)d rows", msgstr_plural={0: "%(n)d کرښه", 1: "%(n)d کرښې"}),
    )
    assert catalogue_problems(po) == [
        "'Missing': not translated",
        "'Guessed': fuzzy (check the translation, then drop the flag)",
        "'Region %(name)s': the placeholders of 'سیمه %(nom)s' differ from the msgid's",
        "'No region {value}.': the placeholders of 'سیمه نشته' differ from the msgid's",
        "'%(count)d token': not translated (every one of the 2 plural forms)",
    ]


def test_a_mo_file_that_lags_its_po_file_is_told_apart(tmp_path):
    po = catalogue(polib.POEntry(msgid="Done", msgstr="شو"), polib.POEntry(msgid="Missing", msgstr=""))
    po.save_as_mofile(str(tmp_path / "django.mo"))
    assert in_mo(polib.mofile(str(tmp_path / "django.mo"))) == compiled(po) == {(None, "Done"): "شو"}
    po.append(polib.POEntry(msgid="New", msgstr="نوی"))
    assert in_mo(polib.mofile(str(tmp_path / "django.mo"))) != compiled(po)


def test_extraction_finds_a_new_untranslated_message(tmp_path, monkeypatch):
    gettext_missing()
    new = 'from django.utils.translation import gettext as _\n\nMESSAGE = _("A message no catalogue has yet.")\n'
    fresh = extract(tmp_path, monkeypatch, added={"humtrack/new_message.py": new})
    committed = msgids(polib.pofile(str(REPO / "locale" / "ps" / "LC_MESSAGES" / "django.po")))
    assert msgids(fresh[Path("locale/ps/LC_MESSAGES/django.po")]) - committed == {
        (None, "A message no catalogue has yet.", None)
    }
