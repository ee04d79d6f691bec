"""Every string the code shows to people has a Swedish translation: a new untranslated one fails here."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _untranslated(po_text: str) -> list[str]:
    problems = []
    for block in po_text.split("\n\n"):
        if 'msgid ""\nmsgstr ""\n"Project-Id-Version' in block or "msgid" not in block:
            continue
        msgid = re.search(r'^msgid (".*"(?:\n".*")*)', block, re.M)
        # An empty msgstr is `msgstr ""` with no continuation line (a long one starts `msgstr ""` too).
        if "#, fuzzy" in block or re.search(r'^msgstr(?:\[\d\])? ""$(?!\n")', block, re.M):
            problems.append(msgid.group(1).replace('"\n"', "")[:80] if msgid else block[:80])
    return problems


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_every_string_in_the_code_is_translated_to_swedish(tmp_path):
    # makemessages writes beside the sources it reads, so it runs on a scratch copy of them.
    for part in ("portal", "tenants", "cancellations", "templates", "locale"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "sv", "--no-obsolete"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    missing = _untranslated((tmp_path / "locale" / "sv" / "LC_MESSAGES" / "django.po").read_text())
    assert missing == [], (
        f"{len(missing)} strings lack a Swedish translation (run `make messages`): {missing[:20]}"
    )


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
def test_the_committed_compiled_catalogue_matches_its_source(tmp_path):
    import gettext

    source = ROOT / "locale" / "sv" / "LC_MESSAGES"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(source / "django.po")], check=True, timeout=60)
    with open(fresh, "rb") as compiled, open(source / "django.mo", "rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(compiled)._catalog, (
            "locale/sv/LC_MESSAGES/django.mo is stale: run `make messages`"
        )
