"""Time and peak memory of converting pathological text (see duster/lib/text.py).

    .venv/bin/python bench/text_limits.py [--module PATH] [--timeout 60] [--memory-mb 4000]
                                          [--only NAME ...]

Each input is built and converted in a child process of its own, so a conversion that hangs
or eats memory is stopped (after --timeout seconds, or at --memory-mb of address space)
without taking this process with it. The time is the conversion's wall clock; "peak" is how
much the child's peak resident memory grew during it (nh3 allocates outside Python, so
tracemalloc would miss most of it).

--module runs the same inputs through another copy of text.py, e.g. the version before the
limits, to compare:

    git show <commit>:duster/lib/text.py > /tmp/text_before.py
    .venv/bin/python bench/text_limits.py --module /tmp/text_before.py
"""

import argparse
import importlib.util
import inspect
import io
import json
import random
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "{more}</Relationships>"
)
_FOOTNOTES_REL = (
    '<Relationship Id="rIdF" Target="footnotes.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/footnotes"/>'
)


def _docx(body: str, *parts: tuple[str, str], unpacked: int = 0) -> bytes:
    """A .docx with this body; with `unpacked`, a document part of that many bytes of runs,
    written in chunks (a zip bomb)."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS.format(more=""))
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write((head + body).encode())
            run = b"<w:r><w:t>All work and no play makes a dull chapter. </w:t></w:r>" * 16_384
            if unpacked:
                part.write(b"<w:p>")
                for _ in range(unpacked // len(run)):
                    part.write(run)
                part.write(b"</w:p>")
            part.write(b"</w:body></w:document>")
        for name, content in parts:
            archive.writestr(name, content)
    return buffer.getvalue()


def _words(rng: random.Random, count: int) -> str:
    return " ".join(
        rng.choice(("she", "said", "the", "door", "*again*", "well-known", "—"))
        for _ in range(count)
    )


def _story_docx() -> bytes:
    rng = random.Random(3)
    runs = "".join(
        f'<w:p><w:r><w:rPr><w:i/></w:rPr><w:t xml:space="preserve">{_words(rng, 8)} </w:t></w:r>'
        f'<w:r><w:t xml:space="preserve">{_words(rng, 60)}</w:t></w:r></w:p>'
        for _ in range(1_000)
    )
    return _docx(runs)


def _markdown_story() -> str:
    rng = random.Random(7)
    paragraphs = []
    while sum(map(len, paragraphs)) < 450_000:
        paragraphs.append(f'"{_words(rng, 12).capitalize()}!" {_words(rng, 40)}.')
    return "\n\n".join(paragraphs)


# name -> (how it is converted, a function building the input)
CASES = {
    "html: 500k chars of <div> (typed)": ("html", lambda: "<div>" * 100_000),
    "html: 9.9 MB nested <div> (upload)": ("file:a.html", lambda: b"<div>" * 1_980_000),
    "html: 1.2 MB of <div>x (upload)": ("file:a.html", lambda: b"<div>x" * 200_000),
    "html: 1,000 unclosed <b> + 10k <p>": (
        "html",
        lambda: "<p>" + "".join(f'<b title="{i}">' for i in range(1_000)) + "<p>x" * 10_000,
    ),
    "html: 3.6 MB ordinary, 120k tags": (
        "html-nolimit",
        lambda: "<p>Lorem ipsum <em>dolor</em> sit amet, consectetur adipiscing.</p>\n" * 60_000,
    ),
    "docx: zip bomb, 200 MB unpacked": ("file:a.docx", lambda: _docx("", unpacked=200_000_000)),
    "docx: footnote cited 3,000 times": (
        "file:a.docx",
        lambda: _docx(
            '<w:p><w:r><w:footnoteReference w:id="1"/></w:r></w:p>' * 3_000,
            ("word/_rels/document.xml.rels", _RELS.format(more=_FOOTNOTES_REL)),
            (
                "word/footnotes.xml",
                f'<?xml version="1.0"?><w:footnotes {_W}><w:footnote w:id="1"><w:p><w:r>'
                f"<w:t>{'a long footnote ' * 5_000}</w:t></w:r></w:p></w:footnote></w:footnotes>",
            ),
        ),
    ),
    "docx: 1,000 paragraphs (a story)": ("file:a.docx", _story_docx),
    "markdown: 499,000 [": ("markdown", lambda: "[" * 499_000),
    "markdown: 249,000 *a": ("markdown", lambda: "*a" * 249_000),
    "markdown: 249,000 ![": ("markdown", lambda: "![" * 249_000),
    "markdown: 499,000 >": ("markdown", lambda: ">" * 499_000),
    "markdown: quotes 30 deep": ("markdown", lambda: "> " * 30 + "deep\n\nafter"),
    "markdown: lists 30 deep": (
        "markdown",
        lambda: "".join("  " * level + "- item\n" for level in range(30)),
    ),
    "markdown: table padded to 2,000 cols": (
        "markdown",
        lambda: "|a" * 2_000 + "|\n" + "|-" * 2_000 + "|\n" + "|\n" * 200,
    ),
    "markdown: 450k-char story": ("markdown-nolimit", _markdown_story),
    "text: 10 MB .txt (upload)": ("file:a.txt", lambda: b"Lorem ipsum dolor sit amet.\n" * 370_000),
    "text: 5 million lines (upload)": ("file:a.txt", lambda: b"a\n" * 5_000_000),
}


def child(module_path: str | None, name: str) -> None:
    """Build one input, convert it, print a JSON line with the outcome."""
    if module_path:
        spec = importlib.util.spec_from_file_location("text_under_test", module_path)
        text = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(text)
    else:
        from duster.lib import text
    how, build = CASES[name]
    source = build()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        if how.startswith("file:"):
            result = text.file_to_html(how[5:], source)
        else:
            fmt = how.removesuffix("-nolimit")
            takes_limit = "max_length" in inspect.signature(text.to_html).parameters
            kwargs = {"max_length": None} if how.endswith("-nolimit") and takes_limit else {}
            result = text.to_html(source, fmt, **kwargs)
        outcome = f"{len(result):,} chars of HTML"
    except text.TextFormatError as error:
        outcome = f"refused: {error}"
    seconds = time.perf_counter() - started
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
    print(json.dumps({"size": len(source), "seconds": seconds, "peak": peak, "outcome": outcome}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--module", help="a text.py to measure instead of duster.lib.text")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--memory-mb", type=int, default=4000)
    parser.add_argument("--only", nargs="*", help="names (or parts of names) of inputs to run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.module, args.child)
        return

    def limit_memory() -> None:
        size = args.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    print(f"{'input':38} {'size':>10} {'time':>8} {'peak':>8}  outcome")
    for name in CASES:
        if args.only and not any(part in name for part in args.only):
            continue
        command = [sys.executable, __file__, "--child", name]
        if args.module:
            command += ["--module", args.module]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=args.timeout,
                preexec_fn=limit_memory,
                check=False,
            )
        except subprocess.TimeoutExpired:
            print(
                f"{name:38} {'':>10} {'>' + format(args.timeout, '.0f') + ' s':>8} {'':>8}  killed"
            )
            continue
        lines = done.stdout.strip().splitlines()
        if done.returncode or not lines:
            error = (done.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{name:38} {'':>10} {'':>8} {'':>8}  crashed: {error[:70]}")
            continue
        row = json.loads(lines[-1])
        size = (
            f"{row['size'] / 1e6:.1f} MB" if row["size"] >= 1e6 else f"{row['size'] / 1e3:.0f} kB"
        )
        print(
            f"{name:38} {size:>10} {row['seconds']:7.2f}s {row['peak']:6} MB  {row['outcome'][:90]}"
        )


if __name__ == "__main__":
    main()
