"""Checks a Gemini streamGenerateContent request body, read from stdin, against google-genai's own types, which
refuse any field the API does not define. Prints "ok", or what is wrong and exits 1."""
import json
import sys

from google.genai import types

body = json.load(sys.stdin)
unknown = set(body) - {"contents", "systemInstruction", "tools", "generationConfig"}
try:
    if unknown:
        raise ValueError(f"unknown top-level fields {sorted(unknown)}")
    for content in body["contents"]:
        types.Content.model_validate(content)
    types.Content.model_validate(body["systemInstruction"])
    for tool in body.get("tools", []):
        types.Tool.model_validate(tool)
except Exception as error:  # noqa: BLE001 - any refusal is the answer
    print(error)
    sys.exit(1)
print("ok")
