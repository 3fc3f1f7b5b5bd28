"""Wrangling from the command line, for archive owners after a bulk import:

    manage.py wrangle canonical NAME [NAME …] --type TYPE
    manage.py wrangle merge NAME [NAME …] --into CANONICAL [--type TYPE]
    manage.py wrangle meta SUB [SUB …] --meta META [--type TYPE]
    manage.py wrangle fandom TAG [TAG …] --fandom FANDOM [--type TYPE]
    manage.py wrangle suggest [--type TYPE] [--accept]

Each prints what changed; a bad name, a cycle or any refused change exits
with status 1 and a one-line message. Changes are logged with no actor
("command line")."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from duster.tags.filtering import refilter_resume
from duster.tags.models import FIXED_TYPES, Tag, TagType
from duster.tags.services import tags_find_or_create
from duster.tags.wrangling import services
from duster.tags.wrangling.selectors import tag_by_name
from duster.tags.wrangling.suggestions import suggestions_for

TYPES = [t for t in TagType.values if t not in FIXED_TYPES]
SUGGEST_BATCH = 500


def _one_line(error: ValidationError) -> str:
    return " ".join(" ".join(error.messages).split())


class Command(BaseCommand):
    help = "Wrangle tags: make canonical, merge synonyms, add meta tags and fandoms, suggest."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        canonical = sub.add_parser("canonical", help="Make tags canonical (created if new).")
        canonical.add_argument("names", nargs="+", metavar="NAME")
        canonical.add_argument("--type", required=True, choices=TYPES)
        merge = sub.add_parser("merge", help="Make tags synonyms of a canonical tag.")
        merge.add_argument("names", nargs="+", metavar="NAME")
        merge.add_argument("--into", required=True, metavar="CANONICAL")
        merge.add_argument("--type", choices=TYPES)
        meta = sub.add_parser("meta", help="Give tags a meta tag.")
        meta.add_argument("names", nargs="+", metavar="SUB")
        meta.add_argument("--meta", required=True, metavar="META")
        meta.add_argument("--type", choices=TYPES)
        fandom = sub.add_parser("fandom", help="Put tags in a parent fandom.")
        fandom.add_argument("names", nargs="+", metavar="TAG")
        fandom.add_argument("--fandom", required=True, metavar="FANDOM")
        fandom.add_argument("--type", choices=TYPES)
        suggest = sub.add_parser("suggest", help="List (or accept) the suggested synonyms.")
        suggest.add_argument("--type", choices=TYPES)
        suggest.add_argument("--accept", action="store_true")
        sub.add_parser(
            "resume", help="Finish the re-filter jobs a stopped task worker left unfinished."
        )

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ValidationError as error:
            raise CommandError(_one_line(error)) from error

    def _tag(self, name: str, tag_type: str | None) -> Tag:
        return tag_by_name(name, tag_type)

    def _tags(self, names: list[str], tag_type: str | None) -> list[Tag]:
        return [self._tag(name, tag_type) for name in names]

    def _done(self, text: str) -> None:
        self.stdout.write(text)

    def _canonical(self, *, names, type, **_):
        tags = []
        for name in names:
            try:
                tags.append(self._tag(name, type))
            except ValidationError:
                (created,) = tags_find_or_create(tag_type=TagType(type), names=[name])
                self._done(f"created {type} “{created.name}”")
                tags.append(created)
        changed = services.tag_make_canonical(actor=None, tags=tags)
        for tag in tags:
            state = "now canonical" if tag in changed else "already canonical"
            self._done(f"{tag.type} “{tag.name}”: {state}")

    def _merge(self, *, names, into, type, **_):
        target = self._tag(into, type)
        tags = self._tags(names, target.type)
        changed = services.tag_merge(actor=None, tags=tags, into=target)
        for tag in tags:
            state = "now a synonym of" if tag in changed else "already a synonym of"
            self._done(f"“{tag.name}”: {state} “{target.name}”")

    def _meta(self, *, names, meta, type, **_):
        target = self._tag(meta, type)
        tags = self._tags(names, target.type)
        changed = services.tag_meta_add(actor=None, tags=tags, meta=target)
        for tag in tags:
            state = "now has" if tag in changed else "already had"
            self._done(f"“{tag.name}”: {state} the meta tag “{target.name}”")

    def _fandom(self, *, names, fandom, type, **_):
        target = self._tag(fandom, TagType.FANDOM)
        tags = self._tags(names, type)
        changed = services.tag_fandom_add(actor=None, tags=tags, fandom=target)
        for tag in tags:
            state = "now in" if tag in changed else "already in"
            self._done(f"“{tag.name}”: {state} the fandom “{target.name}”")

    def _suggest(self, *, type, accept, **_):
        tags = Tag.objects.unwrangled().exclude(type__in=FIXED_TYPES).order_by("pk")
        if type:
            tags = tags.filter(type=type)
        found = accepted = 0
        last = 0
        while batch := list(tags.filter(pk__gt=last)[:SUGGEST_BATCH]):
            last = batch[-1].pk
            suggested = suggestions_for(batch)
            for tag in batch:
                suggestion = suggested.get(tag.pk)
                if suggestion is None:
                    continue
                found += 1
                target = Tag.objects.get(pk=suggestion.canonical.id)
                if accept:
                    services.tag_suggestion_accept(actor=None, tags=[tag], canonical=target)
                    accepted += 1
                    verb = "now a synonym of"
                else:
                    verb = "→"
                self._done(f"{tag.type} “{tag.name}” {verb} “{target.name}”: {suggestion.reason}")
        summary = f"{found} suggestion{'s' if found != 1 else ''}"
        self._done(summary + (f", {accepted} accepted." if accept else "; --accept accepts them."))

    def _resume(self, **_):
        jobs = refilter_resume()
        for job in jobs:
            self._done(f"Re-filtered {job.done} of {job.total} works ({job.reason}).")
        if not jobs:
            self._done("No re-filter job was unfinished.")
