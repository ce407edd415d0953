"""The stage after the verdict: rule advice always, verified AI rewrites when enabled; never fails."""
from __future__ import annotations

import codecs
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from qualitygate.config import AISettings, Settings, metric_options
from qualitygate.metrics.source import SourceError, decode
from qualitygate.models import GateResult, Suggestion, SuggestionKind
from qualitygate.suggestions.breakdowns import Breakdowns, Mapper
from qualitygate.suggestions.rules import Heat, rule_suggestions

if TYPE_CHECKING:  # the AI modules load libcst: imported only when AI is enabled
    from qualitygate.suggestions.ai import Accepted, Tally, ThresholdsFor

KEY_VARIABLES = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")


class SourceFiles:
    """Each file read once, as the engine decodes it; AI patches only plain UTF-8 files."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.files: dict[str, tuple[str | None, bool, bytes]] = {}
        self.digests: dict[str, str | None] = {}

    def _load(self, path: str) -> tuple[str | None, bool, bytes]:
        if path not in self.files:
            try:
                data = Path(path).read_bytes()
                text = decode(data) if not self.max_bytes or len(data) <= self.max_bytes else None
            except (OSError, SourceError):
                data, text = b"", None
            # A patch rewrites text; only UTF-8 without a BOM round-trips byte for byte.
            plain = text is not None and not data.startswith(codecs.BOM_UTF8) and _is_utf8(data)
            self.files[path] = (text, plain, data)
        return self.files[path]

    def text(self, path: str) -> str | None:
        """The decoded source, or None when it cannot be read."""
        return self._load(path)[0]

    def editable_text(self, path: str) -> str | None:
        """The source when a patch can rewrite it exactly, else None."""
        text, plain, _ = self._load(path)
        return text if plain else None

    def digest(self, path: str) -> str | None:
        """sha256 of the bytes ``text`` decoded (as the metrics cache keys them); None when the
        file cannot be read."""
        if path not in self.digests:
            text, _, data = self._load(path)
            import hashlib  # only when a breakdown is computed: a warm run never loads it

            self.digests[path] = None if text is None else hashlib.sha256(data).hexdigest()
        return self.digests[path]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class Console:
    """stderr lines prefixed ``qualitygate:``, with every API key we could know masked."""

    def __init__(self, stream: TextIO, secrets: Sequence[str]) -> None:
        self.stream = stream
        self.secrets = [s for s in secrets if s]

    def _write(self, text: str) -> None:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        self.stream.write(f"qualitygate: {text}\n")

    def warn(self, text: str) -> None:
        """A warning: something did not work, and the gate result is still right."""
        self._write(f"warning: {text}")

    def note(self, text: str) -> None:
        """What the suggestion stage did."""
        self._write(f"suggest: {text}")


def console(stream: TextIO, ai: AISettings, env: Mapping[str, str]) -> Console:
    """A console that masks the configured key variable and the standard ones."""
    names = (*KEY_VARIABLES, ai.api_key_env or "")
    return Console(stream, [env.get(name, "") for name in names if name])


class SuggestContext(NamedTuple):
    """What the suggestion stage needs from the run besides the result."""

    settings: Settings
    thresholds: ThresholdsFor  # per path, with the overrides the gate used
    env: Mapping[str, str]  # where the key and the standard OPENAI_* variables are read
    use_cache: bool = True  # --no-cache also bypasses the AI answer and breakdown caches
    heat: Heat | None = None  # hotspot scores with hotspot_advice (issue 14): the hottest first
    mapper: Mapper = map  # computes the worst offenders' breakdowns: the measuring pool's map in a parallel run


def _cache_folder(context: SuggestContext) -> Path | None:
    """The metrics cache's folder (``$QUALITYGATE_CACHE_DIR`` moves both); None with --no-cache."""
    if not context.use_cache:
        return None
    from qualitygate.store.cache import cache_dir

    return cache_dir(context.settings.root, context.env)


def _breakdowns(context: SuggestContext, files: SourceFiles, out: Console) -> Breakdowns:
    """The statement breakdowns: kept in the metrics cache (read on first use), or with --no-cache
    computed every time."""
    count_asserts = context.settings.count_asserts
    folder = _cache_folder(context)
    if folder is None:
        return Breakdowns(count_asserts, context.mapper)
    from qualitygate.store.cache import MetricsCache
    from qualitygate.suggestions.breakdown_cache import BreakdownCache

    cache = MetricsCache(folder, metric_options(context.settings), out.warn)
    return BreakdownCache(cache, files.digest, out.warn, count_asserts, context.mapper)


def _rule_advice(
    result: GateResult, files: SourceFiles, context: SuggestContext, out: Console
) -> list[Suggestion]:
    """The rule-based advice; the worst offenders' breakdowns come from the cache when unchanged."""
    breakdowns = _breakdowns(context, files, out)
    try:
        return list(rule_suggestions(result, files.text, breakdowns, context.heat, context.settings.count_asserts))
    finally:
        breakdowns.save()


def _advice_at_any_depth(
    result: GateResult, files: SourceFiles, context: SuggestContext, out: Console
) -> list[Suggestion]:
    """``_rule_advice``, again on a big stack when the code is nested past the recursion limit
    (issue 12: what CPython compiles gets advice too, as it gets metrics)."""
    try:
        return _rule_advice(result, files, context, out)
    except RecursionError:
        from qualitygate.metrics.deep import call_with_deep_stack

        # Here, not on the pool's workers: the big stack is this process's.
        return call_with_deep_stack(_rule_advice, result, files, context._replace(mapper=map), out)


def ai_rewrites(
    result: GateResult,
    advice: Sequence[Suggestion],
    files: SourceFiles,
    context: SuggestContext,
    out: Console,
) -> list[Accepted]:
    """Verified rewrites of the worst functions; AIUnavailable when AI cannot run at all."""
    from qualitygate.store.answers import AnswerCache
    from qualitygate.suggestions.ai import Asker, run_ai
    from qualitygate.suggestions.ai_client import ChatClient, resolve
    from qualitygate.suggestions.prompt import summarize

    settings = context.settings
    client = ChatClient(resolve(settings.ai, context.env))
    cache = AnswerCache(_cache_folder(context), out.warn)
    asker = Asker(client, cache, settings.ai.concurrency)
    limits = (settings.max_suggestions, context.thresholds)
    try:
        accepted, tally = run_ai(result, advice, files.editable_text, asker, limits, out.note, context.heat,
                                 settings.count_asserts)  # fmt: skip
    finally:
        cache.save()
        client.close()
    accepted = _behaviour_evidence(accepted, tally, settings, out)
    if tally.failures:
        unique = sorted(set(tally.failures))
        out.warn(f"AI suggestions: {len(tally.failures)} request{'s' * (len(tally.failures) != 1)} "
                 f"failed ({summarize(unique)}); the gate result is unchanged")  # fmt: skip
    out.note(f"AI rewrites: {tally.line()}")
    return accepted


def _behaviour_evidence(accepted: list[Accepted], tally: Tally, settings: Settings, out: Console) -> list[Accepted]:
    """The project's tests (``verify_command``) on a patched copy of each rewrite, and its recorded
    calls replayed (issue 13): this runs its code, which only ``suggest`` and ``--suggest`` do."""
    from qualitygate.suggestions.tests_run import plan, with_test_evidence

    if not accepted or plan(settings) is None:
        return accepted
    out.note(f"running the project's tests on a patched copy for {len(accepted)} rewrite"
             f"{'s' * (len(accepted) != 1)}")  # fmt: skip
    kept, dropped = with_test_evidence(accepted, settings, out.note)
    tally.rejected += dropped
    tally.offered -= dropped
    tally.verified = sum(a.verified.evidence.verified for a in kept)
    return kept


def suggestion_order(s: Suggestion) -> tuple[str, int, str, bool, str]:
    return (s.path, s.line, s.rule, s.kind is SuggestionKind.AI, s.qualname or "")


def _heat(result: GateResult, context: SuggestContext, out: Console) -> Heat | None:
    """Each function's hotspot score over the default window (``qualitygate hotspots``'s, cached
    per commit); None, with a warning, outside a git work tree."""
    from qualitygate.churn.gitlog import ChurnError, open_repository
    from qualitygate.churn.hotspots import DEFAULT_DAYS, Window, find_hotspots

    try:
        repo = open_repository(context.settings.root)
        found = find_hotspots(result, repo, Window(DEFAULT_DAYS, top=1 << 30), _cache_folder(context), out.warn)
    except ChurnError as exc:
        out.warn(f"hotspot_advice: {exc}; the advice keeps its usual order")
        return None
    return {(row.path, row.function): row.score for row in found.rows}


def check_suggestions(
    result: GateResult, context: SuggestContext, ai_enabled: bool, stderr: TextIO
) -> tuple[Suggestion, ...]:
    """Every suggestion for a ``check`` run, sorted; problems are warnings, never errors."""
    settings = context.settings
    out = console(stderr, settings.ai, context.env)
    files = SourceFiles(settings.max_file_bytes)
    if settings.hotspot_advice:
        context = context._replace(heat=_heat(result, context, out))
    try:
        found = _advice_at_any_depth(result, files, context, out)
    except Exception as exc:  # noqa: BLE001 - advice must never change the verdict or exit code
        out.warn(f"rule-based suggestions failed ({type(exc).__name__}: {exc}); please report this")
        found = []
    if ai_enabled and settings.max_suggestions and result.violations:
        from qualitygate.suggestions.ai import to_suggestion
        from qualitygate.suggestions.ai_client import AIUnavailable

        try:
            accepted = ai_rewrites(result, found, files, context, out)
            found += [to_suggestion(a.target, a.verified) for a in accepted]
        except AIUnavailable as exc:
            out.warn(f"{exc}; only rule-based suggestions are shown")
        except Exception as exc:  # noqa: BLE001 - same: the gate result stands on its own
            out.warn(f"AI suggestions failed ({type(exc).__name__}: {exc}); "
                     "the gate result is unchanged")  # fmt: skip
    return tuple(sorted(found, key=suggestion_order))
