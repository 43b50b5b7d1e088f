"""`rubric` assertions: a judge model reads the rubric and the answer and gives a verdict.

The judge is the model `pops.toml` names under `[test] judge`, called through the
runtime like any prompt, with the fixed prompt below and a JSON schema
(`{"pass": bool, "reason": string}`). Its verdicts are recorded like answers, under
`tests/recordings/_judge/<key>.json`, where the key hashes the judge prompt's hash
(`JUDGE_HASH`), the rubric and the answer: `popsc test` replays them, `--record` asks the
live judge and stores its verdict, `--live` asks it and stores nothing. A changed answer
or rubric (or a new judge prompt in a new popsc) needs a new verdict."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from promptlang.runtime.call import call
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.convert import to_plain
from promptlang.runtime.errors import MissingRecording
from promptlang.runtime.errors import PromptError
from promptlang.runtime.messages import Message
from promptlang.runtime.providers.replay import input_json
from promptlang.runtime.providers.replay import recording_key
from promptlang.runtime.providers.replay import write_recording
from promptlang.runtime.record import CallRecord
from promptlang.runtime.record import PromptInfo
from promptlang.testing.capture import Capturing

FOLDER = Path("tests") / "recordings" / "_judge"
MISSING = "no recorded verdict for this rubric and answer; re-record with --record"

SYSTEM = (
    "You are a strict test judge. You are given a rubric and an answer that a language "
    "model produced. Decide whether the answer meets every point of the rubric. Judge "
    "only what the answer says, not what it could have said; a partly met rubric fails. "
    "Reply with a JSON object: \"pass\" (true or false) and \"reason\" (one or two "
    "sentences saying which point is met or missed)."
)
USER = "Rubric:\n{rubric}\n\nAnswer:\n{answer}"
SCHEMA = {
    "title": "verdict",
    "type": "object",
    "properties": {"pass": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["pass", "reason"],
    "additionalProperties": False,
}
JUDGE_HASH = hashlib.sha256(json.dumps([SYSTEM, USER, SCHEMA], sort_keys=True).encode()).hexdigest()
PROMPT = PromptInfo(name="popsc.judge", version="1", content_hash=JUDGE_HASH)


def answer_text(output: object) -> str:
    """The answer as the judge reads it: text as is, anything else as indented JSON."""
    plain = to_plain(output)
    if isinstance(plain, str):
        return plain
    return json.dumps(plain, ensure_ascii=False, indent=2)


def messages(rubric: str, answer: str) -> list[Message]:
    """The judge prompt for one rubric and answer."""
    return [Message("system", SYSTEM), Message("user", USER.format(rubric=rubric, answer=answer))]


def key(rubric: str, answer: str) -> str:
    """The recording key of a verdict (as the runtime's replay computes it)."""
    return recording_key(JUDGE_HASH, input_json({"answer": answer, "rubric": rubric}))


def parse(text: str) -> tuple[bool, str]:
    """A verdict: `ValueError` when it is not `{"pass": bool, "reason": string}` (the
    runtime then asks the judge once to repair it)."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("pass"), bool):
        raise ValueError('the verdict must be an object with a boolean "pass"')
    reason = data.get("reason", "")
    if not isinstance(reason, str):
        raise ValueError('"reason" must be a string')
    return data["pass"], reason


class Judge:
    """Gives verdicts: from the project's recordings (`replay`), or from `model`."""

    def __init__(self, root: Path, model: ModelConfig | None, *, store: bool = False):
        """`model` None replays the recorded verdicts; otherwise it is the live judge,
        whose verdicts are stored when `store`."""
        self.folder = root / FOLDER
        self.model = model or ModelConfig(provider="replay", name="replay",
                                          recordings=str(self.folder))
        self.store = store and model is not None
        self.limiter = None  # a `pacing.Limiter` for live calls (--rate-limit)

    def verdict(self, rubric: str, output: object) -> tuple[bool | None, str]:
        """(passed, reason); passed is None when there is no verdict (the reason says why)."""
        answer = answer_text(output)
        inputs = {"answer": answer, "rubric": rubric}
        providers = Capturing() if self.store else None
        records: list[CallRecord] = []
        if self.limiter is not None and self.model.provider != "replay":
            self.limiter.acquire()
        try:
            passed, reason = call(self.model, messages(rubric, answer), output=parse,
                                  json_schema=SCHEMA, prompt=PROMPT, inputs=inputs,
                                  providers=providers, on_metrics=records.append)
        except MissingRecording:
            return None, MISSING
        except PromptError as error:
            return None, f"the judge gave no verdict: {type(error).__name__}: {error}"
        finally:
            if providers is not None:
                providers.close()
        if providers is not None and providers.seen:
            seen = providers.seen[-1]
            write_recording(self.folder, key(rubric, answer), seen.text,
                            input_tokens=seen.input_tokens, output_tokens=seen.output_tokens,
                            latency_s=records[-1].latency_s if records else None)
        return passed, reason
