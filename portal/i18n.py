"""Languages: zh_Hans (default), zh_Hant and en, chosen per user.

The portal's own strings live in the ``messages`` catalogs; Flask-Admin's
(``admin``) and WTForms' (``wtforms``) are kept beside them in
``translations/`` so that traditional Chinese gets traditional characters
everywhere instead of falling back to the simplified ``zh`` catalogs.
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale, support
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user
from wtforms.i18n import messages_path

babel = Babel()

#: Each language in its own name, as the language switch shows it.
NATIVE_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}

# Accept-Language tags (lower case, "-" separated) -> our languages.
_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def language_for_tag(tag: str) -> str | None:
    """Map a browser language tag such as ``zh-TW`` to one of ours."""
    tag = tag.replace("_", "-").lower()
    if tag.startswith(_TRADITIONAL):
        return "zh_Hant"
    if tag == "zh" or tag.startswith("zh-"):
        return "zh_Hans"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def select_locale() -> str:
    """The user's saved choice, else the session's, else the browser's."""
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    if session.get("locale") in languages:
        return session["locale"]
    for tag, _quality in request.accept_languages:
        language = language_for_tag(tag)
        if language in languages:
            return language
    return default


def html_lang() -> str:
    """The BCP 47 tag for the ``lang`` attribute of pages."""
    return str(get_locale()).replace("_", "-")


class WTFormsTranslations:
    """WTForms messages from ``translations/<lang>/wtforms.mo``, else WTForms' own."""

    def _catalog(self):
        if not has_request_context():
            return support.NullTranslations()
        cached = getattr(request, "_portal_wtforms_translations", None)
        if cached is None:
            locale = get_locale()
            ours = Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"])
            cached = support.Translations.load(str(ours), [locale], domain="wtforms")
            if not isinstance(cached, support.Translations):
                cached = support.Translations.load(messages_path(), [locale], domain="wtforms")
            request._portal_wtforms_translations = cached
        return cached

    def gettext(self, string: str) -> str:
        return self._catalog().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalog().ungettext(singular, plural, n)


wtforms_translations = WTFormsTranslations()


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=NATIVE_NAMES,
        html_lang=html_lang,
        current_locale=get_locale,
    )
    # Parse once at start so a misspelt language fails loudly.
    for language in app.config["LANGUAGES"]:
        Locale.parse(language)
