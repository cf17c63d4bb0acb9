"""Is a credential-looking value a real secret, a weak literal, or a placeholder?

Three independent signals, each cheap and explainable:

* **Template syntax**: ``<token>``, ``${ENV}``, ``{{ var }}``, ``%(x)s``, ``$VAR``, ``os.environ``
  lookups: the value is a reference, not a secret.
* **Dictionary**: the value splits (on ``_-.``, case changes and digits, then by word
  segmentation for run-together words such as ``changethis``) *entirely* into words of a small
  vocabulary. With a "fill me in" marker among them (``your``, ``sample``, ``example``,
  ``dummy``, ``test``, ``changeme``, ``xxx`` …) it is a placeholder; made only of credential
  filler words (``mysecretpassword``) it is a *weak* literal, reported at low severity.
* **Randomness**: real keys are machine-generated. Very few distinct characters (``xxxxxxxx``,
  ``aaaa1111``), keyboard or alphabet runs (``12345678``, ``abcdefgh``, ``qwertyuiop``) are
  fillers. A long, high-entropy value is *random-looking*: substrings that happen to spell a
  marker word (``…here…``) never make it a placeholder, only whole-value evidence does.

Nothing here is a secret store: the functions see one value and return a verdict.
"""

from __future__ import annotations

import enum
import math
import re
from collections import Counter
from functools import lru_cache


@enum.unique
class ValueKind(enum.StrEnum):
    """What a candidate value looks like."""

    PLACEHOLDER = "placeholder"
    """A template, reference or "fill me in" text: not reported."""
    WEAK = "weak"
    """Dictionary words only (``supersecretpassword``): a real but guessable literal."""
    SECRET = "secret"  # noqa: S105 - a classification label
    """Anything else: treated as a credential."""


_TEMPLATE = re.compile(
    r"^(?:<[^>]*>|\[[^\]]*\]|\$\{[^}]*\}|\$\(.*\)|\$[A-Za-z_][A-Za-z0-9_]*|%\(?\w*\)?s|"
    r"\{\{.*\}\}|\{[\w.]*\}|#\{[^}]*\}|@[\w.]+@|__\w+__)$"
)
_REFERENCE = re.compile(
    r"\$\{|\$\(|os\.environ|getenv|\{\{|secrets\.|env\(|vault:|ref\+|!secret|%\(|"
    r"arn:aws:secretsmanager|projects/[^/]+/secrets/"
)
_FILLER_RUN = re.compile(r"(?i)x{4,}|\*{3,}|\.{3,}|…|#{4,}|_{4,}|-{4,}|0{6,}|9{6,}")
"""Runs that only ever fill a blank (``xxxx``, ``****``, ``...``), at any position."""


def _vocabulary(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that say "put the real value here". One of them among dictionary words = placeholder.
MARKERS = _vocabulary(
    """
    your yours example examples sample samples dummy fake test testing tests tester demo mock
    mocked placeholder placeholders changeme change changethis changeit replace replaceme
    insert enter put fill todo fixme tbd tba redacted hidden masked removed omitted censored
    foo bar baz qux quux xyz abc xxx yyy zzz lorem ipsum none null nil empty undefined unset
    default here goes blah fixture stub nothing notreal fakepass required optional boolean
    integer true false yes no on off
    """
)
# Words that appear in credential names and filler, but say nothing about being a placeholder.
FILLER = (
    _vocabulary(
        """
    api key keys token tokens secret secrets password passwords passwd pass pwd passphrase access
    auth authentication credential credentials client private public id user username login
    admin root account app application service value string str my the a an of to for in with
    this that it me own real actual valid some new old super very long strong random generated
    dev local development prod production staging stage env config setting settings hf aws
    github openai slack wandb stripe huggingface bearer oauth jwt session cookie signing
    encryption db database server host name code word
    """
    )
    | MARKERS
)
_CREDENTIAL_NOUNS = _vocabulary(
    "key apikey token secret password passwd pwd pass passphrase credential credentials"
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
"""``WATSONX_API_KEY``: the name of an environment variable, not its value."""
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[_-][A-Za-z0-9]+)+$")
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")
_SPLIT = re.compile(
    r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])"
)
_MAX_SEGMENT = 64


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    size = len(text)
    return -sum(c / size * math.log2(c / size) for c in counts.values())


@lru_cache(maxsize=4096)
def segment(word: str) -> tuple[str, ...] | None:
    """Split a lower-case run-together word into vocabulary words (``changethis`` -> change,
    this), preferring the fewest words; None when it does not split completely."""
    if len(word) > _MAX_SEGMENT:
        return None
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 16), end):
            head = best[start]
            piece = word[start:end]
            if head is not None and piece in FILLER:
                candidate = (*head, piece)
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(word)]


def words_of(value: str) -> tuple[str, ...] | None:
    """The vocabulary words ``value`` consists of (short digit groups allowed), or None."""
    words: list[str] = []
    for token in (t for t in _SPLIT.split(value) if t):
        if token.isdigit():
            if len(token) > 4:
                return None
            continue
        parts = segment(token.lower())
        if parts is None:
            return None
        words.extend(parts)
    return tuple(words) if words else None


def _is_run(text: str) -> bool:
    """``12345678``, ``abcdefgh``, ``qwertyui``, ``87654321``: a keyboard or alphabet run."""
    lowered = text.lower()
    if len(lowered) < 6:
        return False
    return any(lowered in row or lowered in row[::-1] for row in _KEYBOARD_ROWS)


def random_looking(value: str) -> bool:
    """Long and high-entropy with several character classes: machine-generated."""
    classes = sum(
        bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")
    )
    return len(value) >= 20 and entropy(value) >= 3.7 and classes >= 2


def _core(value: str) -> str:
    """The part after a public vendor prefix (``hf_``, ``ghp_``, ``sk-``, ``xoxb-``)."""
    match = re.match(r"^(?:hf|api_org|gh[pousr]|github_pat|sk|rk|sk-proj|xox[abposr])[_-]", value)
    return value[match.end() :] if match else value


def classify(value: str, *, context: str = "") -> ValueKind:
    """Placeholder, weak literal or secret. ``context``: the rest of the line (a trailing
    ``# dummy`` / ``# placeholder`` comment marks a placeholder)."""
    body = value.strip().strip("\"'")
    if not body or _TEMPLATE.match(body) or _REFERENCE.search(body):
        return ValueKind.PLACEHOLDER
    core = _core(body)
    if len(set(core)) < 6 or _is_run(core) or _FILLER_RUN.search(core):
        return ValueKind.PLACEHOLDER
    if "EXAMPLE" in body.upper():
        return ValueKind.PLACEHOLDER  # AWS documentation keys end in EXAMPLE / EXAMPLEKEY
    comment = context.partition("#")[2].lower()
    if comment and (segment_markers(comment) or "not a real" in comment):
        return ValueKind.PLACEHOLDER
    if _ENV_NAME.match(body) and not random_looking(body.replace("_", "")):
        return ValueKind.PLACEHOLDER
    if _is_label(body):
        return ValueKind.PLACEHOLDER
    words = words_of(core)
    if words is not None:
        return ValueKind.PLACEHOLDER if MARKERS.intersection(words) else ValueKind.WEAK
    return ValueKind.SECRET


def _is_label(value: str) -> bool:
    """``my_rackspace_api_key``, ``secure-token``, ``db_password``: a value that *names* a
    credential (an identifier ending in a credential noun, its other parts mostly ordinary
    words) is a label or key name, not the credential itself."""
    if not _IDENTIFIER.match(value):
        return False
    parts = [p.lower() for p in re.split(r"[_-]", value)]
    if parts[-1] not in _CREDENTIAL_NOUNS or any(not p.isalpha() for p in parts):
        return False
    unknown = [p for p in parts if p not in FILLER]
    return len(unknown) <= 1


def segment_markers(comment: str) -> bool:
    """Whether a comment calls the value a stand-in (``# dummy``, ``# replace me``)."""
    tokens = re.findall(r"[a-z]+", comment)
    stand_in = {"dummy", "fake", "placeholder", "example", "sample", "changeme", "redacted"}
    return bool(stand_in.intersection(tokens)) or ("replace" in tokens and "me" in tokens)
